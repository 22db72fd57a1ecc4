"""How a consumer (the drain, the archive) is put to work on the shards: threads in one process, or tasks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from alienportal.aws import aws_client
from scoreboard.stream.shards import shards_drainable, shards_sync, shards_unclaimed

logger = logging.getLogger(__name__)

# After a database error or a lease held elsewhere: long enough not to spin, short enough to take
# the shard over soon after its lease expires.
RETRY_SECONDS = 1.0


class ShardRun(Protocol):
    """What one call of a consumer's shard loop (shard_drain, shard_archive) reports."""

    acquired: bool
    lease_lost: bool
    finished: bool


def shard_run_goes_on(summary: ShardRun) -> bool:
    """Whether a task that held the shard should queue the next one (it never idles between them)."""
    return summary.acquired and not summary.finished and not summary.lease_lost


def shards_unclaimed_sync(*, consumer: str) -> list[str]:
    """Discover the stream's shards (ListShards) and return those `consumer` should start a task on."""
    leases = shards_sync(kinesis=aws_client("kinesis"), stream_name=settings.KINESIS_STREAM_NAME, consumer=consumer)
    return [lease.shard_id for lease in shards_unclaimed(leases=leases, now=timezone.now())]


def shards_work_in_threads(
    *,
    kinesis: Any,
    stream_name: str,
    consumer: str,
    seconds: float,
    shard_run: Callable[[str, float], ShardRun],
) -> None:
    """Run `shard_run(shard_id, seconds_left)` on every readable shard, each in its own thread, for `seconds`.

    Shards are listed again every STREAM_SYNC_SECONDS, so a shard that a resharding opens, or
    whose parents finish, gets its thread then; a thread whose shard finished is not started again.
    """
    deadline = time.monotonic() + seconds
    running: dict[str, threading.Thread] = {}

    def work(shard_id: str) -> None:
        try:
            while time.monotonic() < deadline:
                try:
                    summary = shard_run(shard_id, deadline - time.monotonic())
                except (OperationalError, InterfaceError):
                    # Database gone before the shard loop's own back-off took over: the lease
                    # expires and this thread (or another worker) starts again.
                    logger.warning("shard_drain_database_error shard=%s consumer=%s", shard_id, consumer, exc_info=True)
                    connection.close()
                    time.sleep(RETRY_SECONDS)
                    continue
                if summary.finished:
                    return
                if not summary.acquired or summary.lease_lost:
                    time.sleep(RETRY_SECONDS)
        finally:
            connection.close()

    while time.monotonic() < deadline:
        try:
            leases = shards_sync(kinesis=kinesis, stream_name=stream_name, consumer=consumer)
        except (OperationalError, InterfaceError):
            logger.warning("shards_sync_database_error consumer=%s", consumer, exc_info=True)
            connection.close()
            time.sleep(RETRY_SECONDS)
            continue
        for lease in shards_drainable(leases=leases):
            thread = running.get(lease.shard_id)
            if thread is None or not thread.is_alive():
                running[lease.shard_id] = threading.Thread(target=work, args=(lease.shard_id,), daemon=True)
                running[lease.shard_id].start()
        time.sleep(min(settings.STREAM_SYNC_SECONDS, max(0.0, deadline - time.monotonic())))
    for thread in running.values():
        thread.join(timeout=5)
