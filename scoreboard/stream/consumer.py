"""Drain one shard while holding its lease: paced GetRecords, batch persistence, back-off and recovery."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from alienportal.aws import aws_error_code
from scoreboard.cheats import Limits
from scoreboard.models import ShardLease
from scoreboard.ranking import ranking_recover
from scoreboard.stream.flags import batch_screen
from scoreboard.stream.leases import (
    Fence,
    LeaseLost,
    heartbeat_beat,
    lease_acquire,
    lease_checkpoint,
    lease_finish,
    lease_release,
    lease_renew,
)
from scoreboard.stream.persist import BatchOutcome, batch_persist
from scoreboard.stream.routing import RoutedBatch, StreamRecord, batch_route

logger = logging.getLogger(__name__)

# Kinesis allows 5 GetRecords calls per shard per second, shared by every consumer of the shard
# (the drain and the archive each call it); one call returns at most 10,000 records. Each consumer
# paces itself with its own interval (settings.STREAM_MIN_CALL_SECONDS, ARCHIVE_MIN_CALL_SECONDS),
# never faster than this.
MIN_CALL_INTERVAL = 0.2
IDLE_CALL_INTERVAL = 1.0
MAX_BACKOFF = 10.0
ITERATOR_ERRORS = {"ExpiredIteratorException", "InvalidArgumentException"}
THROTTLE_ERRORS = {"ProvisionedThroughputExceededException", "LimitExceededException", "KMSThrottlingException"}


@dataclass
class DrainSummary:
    shard_id: str
    acquired: bool = False
    calls: int = 0
    batches: int = 0
    records: int = 0
    throttled: int = 0
    iterator_reopened: int = 0
    database_errors: int = 0
    redis_errors: int = 0
    aws_errors: int = 0
    lease_lost: bool = False
    finished: bool = False


class ShardReader:
    """GetRecords on one shard at Kinesis' pace, re-opening the iterator from the checkpoint when needed."""

    def __init__(
        self,
        *,
        kinesis: Any,
        stream_name: str,
        shard_id: str,
        limit: int,
        min_interval: float = MIN_CALL_INTERVAL,
        sleep: Callable = time.sleep,
    ):
        self.kinesis = kinesis
        self.min_interval = max(MIN_CALL_INTERVAL, min_interval)
        self.stream_name = stream_name
        self.shard_id = shard_id
        self.limit = limit
        self.sleep = sleep
        self.iterator: str | None = None
        self._next_call = 0.0
        self._backoff = 0.0

    @property
    def next_call(self) -> float:
        """When (time.monotonic) the next call may be made."""
        return self._next_call

    def open(self, *, checkpoint: int | None) -> None:
        """Position just after the checkpoint (or at the oldest record if the shard was never read)."""
        arguments: dict[str, Any] = {"StreamName": self.stream_name, "ShardId": self.shard_id}
        if checkpoint is None:
            arguments["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            arguments["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            arguments["StartingSequenceNumber"] = str(checkpoint)
        self.iterator = self.kinesis.get_shard_iterator(**arguments)["ShardIterator"]

    def back_off(self) -> None:
        """Delay the next call, twice as long as the last delay (0.5 s to MAX_BACKOFF)."""
        self._backoff = min(MAX_BACKOFF, max(0.5, self._backoff * 2))
        self._next_call = time.monotonic() + self._backoff

    def wait_turn(self) -> None:
        delay = self._next_call - time.monotonic()
        if delay > 0:
            self.sleep(delay)

    def read(self) -> dict[str, Any]:
        """Make one paced GetRecords call; raise ClientError for the caller to classify."""
        self.wait_turn()
        try:
            response = self.kinesis.get_records(ShardIterator=self.iterator, Limit=self.limit)
        except ClientError as error:
            code = aws_error_code(error)
            if code in ITERATOR_ERRORS:
                self._next_call = time.monotonic() + self.min_interval
            else:
                # Throttling (the shard's read budget is shared by every consumer) or Kinesis
                # failing: wait longer each time.
                self.back_off()
            raise
        except BotoCoreError:
            self.back_off()  # Kinesis unreachable
            raise
        self._backoff = 0.0
        idle = not response["Records"]
        # No busy loop on an idle shard: one call a second; otherwise one per min_interval.
        self._next_call = time.monotonic() + max(IDLE_CALL_INTERVAL if idle else 0.0, self.min_interval)
        self.iterator = response.get("NextShardIterator")
        return response


def _route_on_helper(shard_id: str, records: list[StreamRecord]) -> RoutedBatch:
    try:
        routed = batch_route(shard_id=shard_id, records=records)
        limits = Limits.current()
        if limits is not None and routed.accepted:
            # Python work: here it overlaps the previous batch's commit (the database's part stays in it).
            routed.cheat_screen = batch_screen(routed.accepted, limits=limits)
        return routed
    except (OperationalError, InterfaceError):
        connection.close()  # this helper thread's connection; the next batch opens a new one
        raise


class BatchPipeline:
    """Decode, validate, route and screen the next batch on a helper thread while the previous one commits.

    Decoding is Python work that holds the GIL; committing is mostly waiting on PostgreSQL, which
    releases it, so the two overlap. Batches still commit strictly in order, each with its checkpoint.
    """

    def __init__(self, *, fence: Fence, run: Callable[[Callable[[], BatchOutcome]], BatchOutcome | None]):
        self.fence = fence
        self.run = run  # wraps each commit, e.g. with the database back-off
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-route")
        self.pending: tuple[list[StreamRecord], Future[RoutedBatch], int | None] | None = None

    def add(self, records: list[StreamRecord], millis_behind_latest: int | None) -> list[BatchOutcome | None]:
        """Start routing `records` and commit the batch before them meanwhile; return what was committed."""
        future = self.pool.submit(_route_on_helper, self.fence.shard_id, records)
        committed = [self.commit()] if self.pending is not None else []
        self.pending = (records, future, millis_behind_latest)
        return committed

    def commit(self) -> BatchOutcome | None:
        """Commit the pending batch (None: nothing pending, or the database stayed down)."""
        if self.pending is None:
            return None
        records, future, millis = self.pending
        self.pending = None
        try:
            routed: RoutedBatch | None = future.result()
        except (OperationalError, InterfaceError):
            routed = None  # routed again inside the retried commit
        return self.run(
            functools.partial(
                batch_persist, fence=self.fence, records=records, millis_behind_latest=millis, routed=routed
            )
        )

    def close(self) -> None:
        self.pending = None
        # Resolved on the helper thread: `connection` is per thread.
        self.pool.submit(lambda: connection.close()).result()
        self.pool.shutdown()


def _records(response: dict[str, Any]) -> list[StreamRecord]:
    # Sequence numbers are decimal strings of up to 129 digits: integers, never string order.
    return [
        StreamRecord(int(record["SequenceNumber"]), record["Data"], record.get("ApproximateArrivalTimestamp"))
        for record in response["Records"]
    ]


def shard_drain(
    *,
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    owner: str,
    seconds: float,
    stop: Callable[[], bool] = lambda: False,
    limit: int | None = None,
) -> DrainSummary:
    """Hold the shard's lease for up to `seconds` and persist everything that arrives on it."""
    summary = DrainSummary(shard_id=shard_id)
    fence = lease_acquire(stream_name=stream_name, shard_id=shard_id, owner=owner)
    if fence is None:
        return summary
    summary.acquired = True
    logger.info("lease_acquired stream=%s shard=%s owner=%s counter=%d", stream_name, shard_id, owner, fence.counter)
    drainer = ShardDrainer(kinesis=kinesis, fence=fence, owner=owner, summary=summary, seconds=seconds, limit=limit)
    try:
        released = drainer.run(stop=stop)
    except LeaseLost:
        summary.lease_lost = True
        logger.warning("lease_lost stream=%s shard=%s owner=%s", stream_name, shard_id, owner)
        return summary
    finally:
        drainer.pipeline.close()
    if released:
        _quietly(lambda: lease_release(fence=fence))
    return summary


class _Stop(Exception):
    """The drain ends here without releasing the lease (the database stayed down, or the shard is done)."""


class ShardDrainer:
    """One holder's turn on a shard: each step of the loop is a method, in the order `run` calls them.

    start -> (keep the lease -> read -> hand the batch over -> count what committed -> done?)* -> commit the rest.
    Every commit goes through BatchPipeline and batch_persist, fenced on the lease counter: the
    exactly-once argument lives there (persist.py), not here.
    """

    def __init__(
        self, *, kinesis: Any, fence: Fence, owner: str, summary: DrainSummary, seconds: float, limit: int | None
    ):
        self.fence, self.owner, self.summary = fence, owner, summary
        self.deadline = time.monotonic() + seconds
        self.reader = ShardReader(
            kinesis=kinesis,
            stream_name=fence.stream_name,
            shard_id=fence.shard_id,
            limit=limit or settings.STREAM_BATCH_LIMIT,
            min_interval=settings.STREAM_MIN_CALL_SECONDS,
        )
        self.pipeline = BatchPipeline(fence=fence, run=self._with_backoff)
        lease = ShardLease.objects.get(pk=fence.lease_pk)
        self.ending = int(lease.ending_sequence_number) if lease.ending_sequence_number is not None else None
        self.checkpoint: int | None = None
        self.renew_every = settings.STREAM_LEASE_SECONDS / 3
        self.last_renew = self.last_beat = 0.0

    def _with_backoff(self, action: Callable[[], Any]) -> Any:
        return _with_backoff(action, self.summary, self.deadline)

    def run(self, *, stop: Callable[[], bool]) -> bool:
        """Drain until time is up; return whether to release the lease (False: stopped mid-way or finished)."""
        try:
            if not self.start():
                return True
            while time.monotonic() < self.deadline and not stop():
                if not self.keep_lease():
                    self.summary.lease_lost = True
                    break  # the batch in hand still tries to commit: fenced, it fails if the lease moved on
                response = self.read()
                if response is None:
                    continue
                records = _records(response)
                self.count(self.hand_over(records, response))
                if self.read_to_the_end(records):
                    return False
            if self.pipeline.pending is not None:
                self.count([self.pipeline.commit()])
        except _Stop:
            return False
        return True

    def start(self) -> bool:
        """Repair the rank index after a predecessor's crash, read the checkpoint, open the iterator after it."""

        def recover() -> list[int | None]:
            ranking_recover(stream_name=self.fence.stream_name, shard_id=self.fence.shard_id)
            return [lease_checkpoint(fence=self.fence)]  # a list: the checkpoint itself may be None

        recovered = self._with_backoff(recover)
        if recovered is None:
            return False
        self.checkpoint = recovered[0]
        return _reader_open(self.reader, self.checkpoint, self.summary, self.deadline)

    def keep_lease(self) -> bool:
        """Beat every 5 s and renew the lease every TTL/3 (a committed batch renews it too); False: lost."""
        now = time.monotonic()
        if now - self.last_beat >= 5:
            _quietly(lambda: heartbeat_beat(worker=self.owner, shard_id=self.fence.shard_id))
            self.last_beat = now
        if now - self.last_renew >= self.renew_every:
            if not self._with_backoff(lambda: lease_renew(fence=self.fence)):
                return False
            self.last_renew = now
        return True

    def read(self) -> dict[str, Any] | None:
        """One paced GetRecords; None after an error it handled (throttled, Kinesis down, iterator reopened)."""
        shard_id = self.fence.shard_id
        try:
            response = self.reader.read()
        except BotoCoreError as error:
            self.summary.aws_errors += 1
            logger.warning("kinesis_unavailable shard=%s error=%s", shard_id, type(error).__name__)
            return None
        except ClientError as error:
            code = aws_error_code(error)
            if code in THROTTLE_ERRORS:
                self.summary.throttled += 1
                logger.info("get_records_throttled shard=%s", shard_id)
            elif code in ITERATOR_ERRORS or self.reader.iterator is None:
                self.reopen(code)
            else:
                # Kinesis failing (InternalFailure, ServiceUnavailable, ...): read() backed off.
                self.summary.aws_errors += 1
                logger.warning("kinesis_unavailable shard=%s code=%s", shard_id, code)
            return None
        self.summary.calls += 1
        return response

    def reopen(self, code: str) -> None:
        """Open the iterator again after the checkpoint, once the batch in hand is committed.

        Re-reading from an older checkpoint would deliver that batch twice (harmless, but it would
        move the checkpoint back).
        """
        if self.pipeline.pending is not None:
            self.count([self.pipeline.commit()])
        self.summary.iterator_reopened += 1
        logger.info("iterator_reopen shard=%s code=%s checkpoint=%s", self.fence.shard_id, code, self.checkpoint)
        if not _reader_open(self.reader, self.checkpoint, self.summary, self.deadline):
            self.deadline = 0.0  # Kinesis stayed down until our time was up: release the lease

    def hand_over(self, records: list[StreamRecord], response: dict[str, Any]) -> list[BatchOutcome | None]:
        """Route the batch while the previous one commits; at the stream's tip, commit it at once (freshness)."""
        if not records:
            return [self.pipeline.commit()] if self.pipeline.pending is not None else []
        millis = response.get("MillisBehindLatest")
        behind = len(records) >= self.reader.limit or (millis or 0) > 0
        committed = self.pipeline.add(records, millis)
        if not behind:
            committed.append(self.pipeline.commit())
        return committed

    def count(self, committed: list[BatchOutcome | None]) -> None:
        """Take each committed batch's checkpoint; stop if the database stayed down until our time was up."""
        for outcome in committed:
            if outcome is None:
                raise _Stop
            self.checkpoint = outcome.checkpoint
            self.last_renew = time.monotonic()  # the batch's transaction extended the lease
            self.summary.batches += 1
            self.summary.records += outcome.records

    def read_to_the_end(self, records: list[StreamRecord]) -> bool:
        """A closed shard read to its end (AWS: no NextShardIterator): mark it finished so children may start."""
        closed_and_read = self.ending is not None and self.checkpoint is not None and self.checkpoint >= self.ending
        if self.pipeline.pending is None and (self.reader.iterator is None or (closed_and_read and not records)):
            self.summary.finished = lease_finish(fence=self.fence)
            logger.info("shard_finished stream=%s shard=%s", self.fence.stream_name, self.fence.shard_id)
            return True
        return False


def _with_backoff(action: Callable[[], Any], summary: DrainSummary, deadline: float) -> Any:
    """Run a database action, backing off while the database or Redis is unreachable; None if time runs out.

    The failed transaction committed nothing, so retrying the same batch is exact; LeaseLost is
    not an outage and goes straight to the caller. Redis (the ranking index's pending key is
    written inside the batch transaction) has its own back-off, so a Redis outage never counts
    against the database's, nor fails the task.
    """
    backoff = {"database": 0.5, "redis": 0.5}
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError) as error:
            summary.database_errors += 1
            failed, name = "database", type(error).__name__
            # Drop the broken connection; the next attempt opens a new one.
            _quietly(connection.close)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            summary.redis_errors += 1
            failed, name = "redis", type(error).__name__
        delay = backoff[failed]
        logger.warning("%s_unavailable error=%s backoff=%.1f", failed, name, delay)
        if time.monotonic() + delay > deadline:
            return None
        time.sleep(delay)
        backoff[failed] = min(MAX_BACKOFF, delay * 2)
        close_old_connections()


def _reader_open(reader: ShardReader, checkpoint: int | None, summary: DrainSummary, deadline: float) -> bool:
    """Open the shard iterator, backing off while Kinesis fails; False if time runs out first."""
    while True:
        try:
            reader.open(checkpoint=checkpoint)
            return True
        except (ClientError, BotoCoreError) as error:
            summary.aws_errors += 1
            logger.warning("kinesis_unavailable shard=%s call=get_shard_iterator error=%s", reader.shard_id, error)
            reader.back_off()
            if reader.next_call > deadline:
                return False
            reader.wait_turn()


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:  # a heartbeat or release that fails is retried by the next one
        logger.warning("pipeline_side_write_failed", exc_info=True)
