"""The archive consumer: read every shard under a lease of its own and put every record in S3.

It reads the stream like a second Kinesis application (or a Firehose would), independently of
the drain: its own lease and checkpoint per shard, its own Celery queue. Records are buffered by
size and age (ARCHIVE_BUFFER_BYTES / ARCHIVE_BUFFER_SECONDS, Firehose's 5 MiB / 300 s) and the
checkpoint moves only after the object is in S3; during an S3 outage the buffer is held, the put
retried with back-off, and reading resumes where it stopped once S3 answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from alienportal.aws import aws_error_code
from scoreboard.archive.models import ArchiveShardState
from scoreboard.archive.objects import FORMAT_JSONL, FORMAT_METADATA_KEY, ArchivedRecord, object_key, records_encode
from scoreboard.models import LeaseConsumer, ShardLease
from scoreboard.stream.consumer import ITERATOR_ERRORS, ShardReader
from scoreboard.stream.leases import Fence, LeaseLost, lease_acquire, lease_checkpoint, lease_finish, lease_release

logger = logging.getLogger(__name__)

MAX_UPLOAD_BACKOFF = 10.0
STATE_EVERY = 5.0  # seconds between two lag measurements written to the database


@dataclass
class ArchiveSummary:
    shard_id: str
    acquired: bool = False
    calls: int = 0
    records: int = 0
    objects: int = 0
    upload_failures: int = 0
    lease_lost: bool = False
    finished: bool = False
    keys: list[str] | None = None


class _Buffer:
    """Records read but not yet in S3, in sequence order."""

    def __init__(self) -> None:
        self.records: list[ArchivedRecord] = []
        self.size = 0

    def extend(self, records: list[ArchivedRecord]) -> None:
        self.records.extend(records)
        self.size += sum(len(record.data) for record in records)

    def take(self, upto: int | None = None) -> list[ArchivedRecord]:
        """Remove and return the records up to sequence number `upto` (all if None)."""
        if upto is None:
            taken, self.records = self.records, []
        else:
            cut = 0
            while cut < len(self.records) and self.records[cut].sequence_number <= upto:
                cut += 1
            taken, self.records = self.records[:cut], self.records[cut:]
        self.size -= sum(len(record.data) for record in taken)
        return taken

    def oldest_arrival(self) -> datetime | None:
        return self.records[0].arrival if self.records else None

    def last_sequence(self) -> int | None:
        return self.records[-1].sequence_number if self.records else None


def _archived(shard_id: str, response: dict[str, Any], *, stream_created_at: datetime | None) -> list[ArchivedRecord]:
    return [
        ArchivedRecord(
            stream_created_at=stream_created_at,
            shard_id=shard_id,
            sequence_number=int(item["SequenceNumber"]),
            arrival=item.get("ApproximateArrivalTimestamp"),
            data=item["Data"],
            partition_key=item.get("PartitionKey", ""),
        )
        for item in response["Records"]
    ]


def _fenced_touch(fence: Fence, *, checkpoint: int | None = None) -> None:
    """Extend our lease (and move the checkpoint), in the caller's transaction; LeaseLost if not ours."""
    now = timezone.now()
    expires = now + timedelta(seconds=settings.STREAM_LEASE_SECONDS)
    with connection.cursor() as cursor:
        if checkpoint is None:
            cursor.execute(
                "UPDATE scoreboard_shardlease SET expires_at = %s WHERE id = %s AND counter = %s AND owner = %s",
                [expires, fence.lease_pk, fence.counter, fence.owner],
            )
        else:
            cursor.execute(
                "UPDATE scoreboard_shardlease SET checkpoint = %s, checkpoint_at = %s, expires_at = %s"
                " WHERE id = %s AND counter = %s AND owner = %s",
                [str(checkpoint), now, expires, fence.lease_pk, fence.counter, fence.owner],
            )
        if cursor.rowcount != 1:
            raise LeaseLost(f"{fence.stream_name}/{fence.shard_id} archive counter {fence.counter}")


class ShardArchiver:
    """Upload one shard's records in objects, exactly once each, under a held archive lease."""

    def __init__(self, *, s3: Any, fence: Fence, bucket: str, prefix: str, deadline: float):
        self.s3 = s3
        self.fence = fence
        self.bucket = bucket
        self.prefix = prefix
        self.deadline = deadline
        self.state, _ = ArchiveShardState.objects.get_or_create(lease_id=fence.lease_pk)
        self.failures = 0
        self.keys: list[str] = []

    @property
    def pending_last(self) -> int | None:
        value = self.state.pending_last_sequence
        return int(value) if value is not None else None

    def due(self, buffer: _Buffer, *, now: datetime) -> list[ArchivedRecord] | None:
        """Return the records to upload now, taken from the buffer, or None if nothing is due."""
        pending = self.pending_last
        if pending is not None:
            # A range a previous holder announced and may have put: the very same range again.
            last = buffer.last_sequence()
            if last is None or last < pending:
                return None
            if buffer.records[0].sequence_number > pending:
                # The range is no longer on the stream (trimmed): whatever landed, landed.
                logger.warning("archive_pending_range_gone shard=%s last=%s", self.fence.shard_id, pending)
                self.forget_pending()
                return None
            return buffer.take(upto=pending)
        oldest = buffer.oldest_arrival()
        if not buffer.records:
            return None
        too_old = oldest is not None and (now - oldest).total_seconds() >= settings.ARCHIVE_BUFFER_SECONDS
        if buffer.size >= settings.ARCHIVE_BUFFER_BYTES or too_old:
            return buffer.take()
        return None

    def forget_pending(self) -> None:
        ArchiveShardState.objects.filter(pk=self.state.pk).update(pending_key="", pending_last_sequence=None)
        self.state.pending_key, self.state.pending_last_sequence = "", None

    def upload(self, records: list[ArchivedRecord]) -> bool:
        """Put `records` as one object, then move the checkpoint; False if time ran out first."""
        first, last = records[0], records[-1]
        key = self.state.pending_key if self.pending_last is not None else ""
        if not key:
            key = object_key(
                prefix=self.prefix,
                stream_name=self.fence.stream_name,
                shard_id=self.fence.shard_id,
                first=first.sequence_number,
                last=last.sequence_number,
                arrival=first.arrival or timezone.now(),
            )
            with transaction.atomic():
                _fenced_touch(self.fence)
                ArchiveShardState.objects.filter(pk=self.state.pk).update(
                    pending_key=key, pending_last_sequence=last.sequence_number
                )
            self.state.pending_key, self.state.pending_last_sequence = key, last.sequence_number
        body = records_encode(records)
        backoff = 0.5
        while True:
            try:
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType="application/x-ndjson",
                    Metadata={FORMAT_METADATA_KEY: FORMAT_JSONL},
                )
                break
            except (ClientError, BotoCoreError) as error:
                self.failures += 1
                logger.warning("archive_upload_failed key=%s error=%s backoff=%.1f", key, type(error).__name__, backoff)
                ArchiveShardState.objects.filter(pk=self.state.pk).update(
                    upload_failures=F("upload_failures") + 1, last_error=str(error)[:300]
                )
                if time.monotonic() + backoff > self.deadline:
                    return False  # the range stays pending: the next holder puts it under this key
                time.sleep(backoff)
                backoff = min(MAX_UPLOAD_BACKOFF, backoff * 2)
                with transaction.atomic():
                    _fenced_touch(self.fence)  # still ours while we wait for S3
        with transaction.atomic():
            _fenced_touch(self.fence, checkpoint=last.sequence_number)
            ArchiveShardState.objects.filter(pk=self.state.pk).update(
                pending_key="",
                pending_last_sequence=None,
                last_key=key,
                last_upload_at=timezone.now(),
                last_error="",  # the health page shows an error only while uploads fail
                objects_uploaded=F("objects_uploaded") + 1,
                records_archived=F("records_archived") + len(records),
                bytes_archived=F("bytes_archived") + len(body),
                # Until the next measurement: what is left in the buffer is younger than this object.
                oldest_unarchived_at=None,
                measured_at=timezone.now(),
            )
        self.state.pending_key, self.state.pending_last_sequence = "", None
        self.keys.append(key)
        logger.info(
            "archive_object_put shard=%s key=%s records=%d bytes=%d", self.fence.shard_id, key, len(records), len(body)
        )
        return True

    def measure(self, buffer: _Buffer, millis_behind_latest: int | None) -> None:
        ArchiveShardState.objects.filter(pk=self.state.pk).update(
            oldest_unarchived_at=buffer.oldest_arrival(),
            millis_behind_latest=millis_behind_latest,
            measured_at=timezone.now(),
        )


def shard_archive(
    *,
    kinesis: Any,
    s3: Any,
    stream_name: str,
    shard_id: str,
    owner: str,
    seconds: float,
    stop: Callable[[], bool] = lambda: False,
    limit: int | None = None,
    bucket: str | None = None,
    prefix: str | None = None,
) -> ArchiveSummary:
    """Hold the shard's archive lease for up to `seconds` and put what arrives on it into S3."""
    summary = ArchiveSummary(shard_id=shard_id, keys=[])
    fence = lease_acquire(stream_name=stream_name, shard_id=shard_id, owner=owner, consumer=LeaseConsumer.ARCHIVE)
    if fence is None:
        return summary
    summary.acquired = True
    logger.info("archive_lease_acquired stream=%s shard=%s owner=%s", stream_name, shard_id, owner)
    deadline = time.monotonic() + seconds
    archiver = ShardArchiver(
        s3=s3,
        fence=fence,
        bucket=bucket or settings.ARCHIVE_BUCKET,
        prefix=settings.ARCHIVE_PREFIX if prefix is None else prefix,
        deadline=deadline,
    )
    reader = ShardReader(
        kinesis=kinesis,
        stream_name=stream_name,
        shard_id=shard_id,
        limit=limit or settings.ARCHIVE_BATCH_LIMIT,
        min_interval=settings.ARCHIVE_MIN_CALL_SECONDS,
    )
    lease = ShardLease.objects.get(pk=fence.lease_pk)
    ending = int(lease.ending_sequence_number) if lease.ending_sequence_number is not None else None
    buffer = _Buffer()
    renew_every = settings.STREAM_LEASE_SECONDS / 3
    last_renew = last_measure = 0.0
    millis: int | None = None
    try:
        checkpoint = lease_checkpoint(fence=fence)
        reader.open(checkpoint=checkpoint)
        while time.monotonic() < deadline and not stop():
            now_mono = time.monotonic()
            if now_mono - last_renew >= renew_every:
                with transaction.atomic():
                    _fenced_touch(fence)
                last_renew = now_mono
            if now_mono - last_measure >= STATE_EVERY:
                archiver.measure(buffer, millis)
                last_measure = now_mono
            try:
                response = reader.read()
            except BotoCoreError as error:  # Kinesis unreachable: read() backed off
                logger.warning("archive_kinesis_unavailable shard=%s error=%s", shard_id, type(error).__name__)
                continue
            except ClientError as error:
                code = aws_error_code(error)
                if code in ITERATOR_ERRORS or reader.iterator is None:
                    # After what we hold, so nothing is buffered twice.
                    last = buffer.last_sequence()
                    reader.open(checkpoint=last if last is not None else checkpoint)
                    continue
                # Throttled (the read budget is shared with the drain) or Kinesis failing: read() backed off.
                logger.warning("archive_get_records_failed shard=%s code=%s", shard_id, code)
                continue
            summary.calls += 1
            millis = response.get("MillisBehindLatest")
            records = _archived(shard_id, response, stream_created_at=fence.stream_created_at)
            buffer.extend(records)
            summary.records += len(records)
            read_to = buffer.last_sequence()
            if read_to is None:
                read_to = checkpoint
            # AWS says a closed shard ended with a null NextShardIterator; moto never does, so
            # also: its EndingSequenceNumber was reached and a read returned nothing more.
            closed = reader.iterator is None or (
                ending is not None and not records and read_to is not None and read_to >= ending
            )
            while True:
                batch = archiver.due(buffer, now=datetime.now(UTC))
                if batch is None and closed and buffer.records and archiver.pending_last is None:
                    batch = buffer.take()
                if not batch:
                    break
                if not archiver.upload(batch):
                    return summary
                checkpoint = batch[-1].sequence_number
                summary.objects += 1
            if closed and not buffer.records and archiver.pending_last is None:
                summary.finished = lease_finish(fence=fence)
                logger.info("archive_shard_finished stream=%s shard=%s", stream_name, shard_id)
                return summary
        # Time is up: whatever is buffered is re-read by the next holder (its arrival times make
        # it due at once if it is old enough), so nothing waits longer than the buffer allows.
        archiver.measure(buffer, millis)
    except LeaseLost:
        summary.lease_lost = True
        logger.warning("archive_lease_lost stream=%s shard=%s owner=%s", stream_name, shard_id, owner)
        return summary
    finally:
        summary.upload_failures = archiver.failures
        summary.keys = archiver.keys
    try:
        lease_release(fence=fence)
    except Exception:  # the lease expires by itself
        logger.warning("archive_lease_release_failed", exc_info=True)
    return summary
