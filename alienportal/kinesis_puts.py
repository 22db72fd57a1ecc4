"""Put records on Kinesis from many request threads at once, gathered into PutRecords calls.

One PutRecord per request costs the portal ~1.5-2 ms of CPU in botocore (serialising, signing,
hooks) and the Kinesis endpoint one call each; at a full session's ~500 statuses/s that alone is
most of a core. Here each process has a flusher thread that takes whatever requests have queued
since its last call and puts them in one PutRecords: a request alone goes out at once (no added
wait), and under load requests wait at most for the call in flight, so the gathering is bounded
by Kinesis' own latency. Each caller gets its own record's outcome: a sequence number only once
PutRecords answered that *this* record is on the stream (PutRecords fails records one by one,
e.g. a throttled shard), so "accepted" still means "on the stream".
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

# PutRecords limits: 500 records and 5 MiB (data and partition keys) per call.
MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024


class PutFailed(Exception):
    """The record is not known to be on the stream; `code` is Kinesis' error code when it gave one."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PutResult:
    shard_id: str
    sequence_number: str


@dataclass(eq=False)
class _Pending:
    kinesis: Any
    stream_name: str
    data: bytes
    partition_key: str
    done: threading.Event = field(default_factory=threading.Event)
    result: PutResult | None = None
    error: PutFailed | None = None

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key.encode())


class PutGatherer:
    """A process's queue of records to put, emptied by `flushers` threads, one PutRecords per stream each turn."""

    # One flusher: a second one sends while the first is in flight, so more calls of fewer records
    # each (kinesalite's CPU a status fell by a quarter with one). Measured in `make bench-gameapi`
    # (gunicorn gthread 3 x 8, kinesalite, two alternated runs each): one flusher 406 / 431
    # statuses/s at 3.38 / 3.35 ms of portal CPU each, two flushers 353 / 322 at 4.06 / 4.47 ms,
    # and lower p50 and p95 with one.
    def __init__(self, *, flushers: int = 1) -> None:
        self.flushers = flushers
        self._wake = threading.Condition()
        self._queue: list[_Pending] = []
        self._threads: list[threading.Thread] = []
        # What was sent, for the benchmark and the tests: PutRecords calls and the records in them.
        self.calls = 0
        self.records = 0

    def put(self, *, kinesis: Any, stream_name: str, data: bytes, partition_key: str, timeout: float) -> PutResult:
        """Put one record and wait for its own outcome; raise PutFailed unless it is on the stream.

        After `timeout` seconds the caller gets PutFailed although the record may still land: a
        producer's retry may then put it twice, which the drain counts once (same bytes).
        """
        pending = _Pending(kinesis=kinesis, stream_name=stream_name, data=data, partition_key=partition_key)
        with self._wake:
            if len(self._threads) < self.flushers:
                self._start_flushers()
            self._queue.append(pending)
            self._wake.notify()
        if not pending.done.wait(timeout):
            raise PutFailed(f"no answer from the stream within {timeout:g} s")
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def queued(self) -> int:
        """Records waiting for a flusher (not yet in a PutRecords call)."""
        with self._wake:
            return len(self._queue)

    def _start_flushers(self) -> None:
        while len(self._threads) < self.flushers:
            thread = threading.Thread(target=self._run, name=f"kinesis-puts-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                batch = self._take()
            for group in _by_stream(batch):
                self._flush(group)

    def _take(self) -> list[_Pending]:
        # Called with the lock held: the oldest records that fit one call's limits.
        taken, size = 0, 0
        for pending in self._queue:
            if taken == MAX_RECORDS or (taken and size + pending.size > MAX_BYTES):
                break
            taken, size = taken + 1, size + pending.size
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        if self._queue:
            self._wake.notify()  # more waits: another flusher may take it now
        return batch

    def _flush(self, group: list[_Pending]) -> None:
        first = group[0]
        try:
            answer = first.kinesis.put_records(
                StreamName=first.stream_name,
                Records=[{"Data": pending.data, "PartitionKey": pending.partition_key} for pending in group],
            )
            entries = answer["Records"]
            if len(entries) != len(group):
                raise PutFailed(f"PutRecords answered {len(entries)} entries for {len(group)} records")
        except Exception as exc:
            # The whole call failed (or made no sense): no record of it is known to be on the stream.
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            logger.warning("kinesis_puts.call_failed stream=%s records=%s code=%s", first.stream_name, len(group), code)
            message = str(exc) if isinstance(exc, (BotoCoreError, ClientError, PutFailed)) else type(exc).__name__
            for pending in group:
                pending.error = PutFailed(message, code=code)
                pending.done.set()
            return
        with self._wake:
            self.calls += 1
            self.records += len(group)
        # One entry per record, in the order sent: its sequence number, or its own error (a
        # throttled shard fails only the records bound for it).
        for pending, entry in zip(group, entries, strict=True):
            if entry.get("ErrorCode"):
                pending.error = PutFailed(entry.get("ErrorMessage") or entry["ErrorCode"], code=entry["ErrorCode"])
            else:
                pending.result = PutResult(shard_id=entry["ShardId"], sequence_number=entry["SequenceNumber"])
            pending.done.set()
        if answer.get("FailedRecordCount"):
            logger.warning(
                "kinesis_puts.records_failed stream=%s failed=%s of=%s",
                first.stream_name,
                answer["FailedRecordCount"],
                len(group),
            )


def _by_stream(batch: list[_Pending]) -> list[list[_Pending]]:
    # One call per (client, stream): a process may talk to more than one endpoint (tests do).
    groups: dict[tuple[int, str], list[_Pending]] = defaultdict(list)
    for pending in batch:
        groups[(id(pending.kinesis), pending.stream_name)].append(pending)
    return list(groups.values())


_gatherer = PutGatherer()


def _forget_after_fork() -> None:
    # A forked worker (gunicorn --preload) inherits the queue but not the threads behind it.
    global _gatherer
    _gatherer = PutGatherer(flushers=_gatherer.flushers)


os.register_at_fork(after_in_child=_forget_after_fork)


def kinesis_put(*, kinesis: Any, stream_name: str, data: bytes, partition_key: str, timeout: float) -> PutResult:
    """Put one record on `stream_name`, gathered with other threads' records; raise PutFailed unless it landed."""
    return _gatherer.put(
        kinesis=kinesis, stream_name=stream_name, data=data, partition_key=partition_key, timeout=timeout
    )


def kinesis_put_gatherer() -> PutGatherer:
    """Return this process's gatherer (its counters say how many calls carried how many records)."""
    return _gatherer
