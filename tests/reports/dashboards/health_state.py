"""Inject pipeline states (leases, metrics, heartbeats, dead letters) as the drain would have left them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from scoreboard.archive.models import ArchiveShardState
from scoreboard.models import DeadLetter, LeaseConsumer, ShardLease, ShardMetrics, WorkerHeartbeat


def shard_inject(
    shard_id: str,
    *,
    lag_ms: int | None = 0,
    heartbeat_age_s: float | None = 1,
    lease_left_s: float = 300,
    checkpoint_age_s: float = 1,
    records: int = 1000,
    archive_lag_s: float | None = 5,
) -> ShardLease:
    """A shard whose lease, metrics and worker heartbeat are as given (ages in seconds before now).

    The archive reads the shard too (its own lease), `archive_lag_s` behind; None: no archive lease.
    """
    now = timezone.now()
    worker = f"host:1:{shard_id[-4:]}"
    lease = ShardLease.objects.create(
        stream_name=settings.KINESIS_STREAM_NAME,
        shard_id=shard_id,
        owner=worker,
        expires_at=now + timedelta(seconds=lease_left_s),
        counter=1,
        checkpoint=records,
        checkpoint_at=now - timedelta(seconds=checkpoint_age_s),
    )
    ShardMetrics.objects.create(
        lease=lease, records_processed=records, bytes_processed=records * 150, millis_behind_latest=lag_ms
    )
    if archive_lag_s is not None:
        archive = ShardLease.objects.create(
            stream_name=settings.KINESIS_STREAM_NAME,
            shard_id=shard_id,
            consumer=LeaseConsumer.ARCHIVE,
            owner=f"{worker}-archive",
            expires_at=now + timedelta(seconds=lease_left_s),
            counter=1,
        )
        ArchiveShardState.objects.create(
            lease=archive,
            last_upload_at=now - timedelta(seconds=archive_lag_s),
            oldest_unarchived_at=now - timedelta(seconds=archive_lag_s),
            measured_at=now,
        )
    if heartbeat_age_s is not None:
        WorkerHeartbeat.objects.create(
            worker=worker,
            shard_id=shard_id,
            beat_at=now - timedelta(seconds=heartbeat_age_s),
            started_at=now - timedelta(seconds=heartbeat_age_s + 30),
        )
    return lease


def dead_letters_inject(count: int, *, reason: str = "malformed_json", shard_id: str = "shardId-000000000009") -> None:
    DeadLetter.objects.bulk_create(
        DeadLetter(shard_id=shard_id, sequence_number=10_000 + n, data=b"{not json\x00\xff", reason=reason)
        for n in range(count)
    )
