"""Drain the stream's shards from this process (one thread per shard), without Celery."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connection

from alienportal.aws import aws_client
from scoreboard.stream.consumer import shard_drain
from scoreboard.stream.leases import worker_name
from scoreboard.stream.shards import shards_drainable, shards_sync

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Drain every readable shard of the stream for --seconds (ops, tests and benchmarks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--stream", default=None)
        parser.add_argument("--limit", type=int, default=None, help="GetRecords Limit")

    def handle(self, *args: Any, seconds: float, stream: str | None, limit: int | None, **options: Any) -> None:
        stream_name = stream or settings.KINESIS_STREAM_NAME
        kinesis = aws_client("kinesis")
        deadline = time.monotonic() + seconds
        running: dict[str, threading.Thread] = {}
        owner = worker_name()

        def drain(shard_id: str) -> None:
            try:
                while time.monotonic() < deadline:
                    try:
                        summary = shard_drain(
                            kinesis=kinesis,
                            stream_name=stream_name,
                            shard_id=shard_id,
                            owner=owner,
                            seconds=deadline - time.monotonic(),
                            limit=limit,
                        )
                    except (OperationalError, InterfaceError):
                        # Database gone before the drain loop's own back-off took over: the
                        # lease expires and this thread (or another worker) starts again.
                        logger.warning("shard_drain_database_error shard=%s", shard_id, exc_info=True)
                        connection.close()
                        time.sleep(1.0)
                        continue
                    if summary.finished:
                        return
                    if not summary.acquired or summary.lease_lost:
                        time.sleep(1.0)
            finally:
                connection.close()

        while time.monotonic() < deadline:
            try:
                leases = shards_sync(kinesis=kinesis, stream_name=stream_name)
            except (OperationalError, InterfaceError):
                logger.warning("shards_sync_database_error", exc_info=True)
                connection.close()
                time.sleep(1.0)
                continue
            for lease in shards_drainable(leases=leases):
                thread = running.get(lease.shard_id)
                if thread is None or not thread.is_alive():
                    running[lease.shard_id] = threading.Thread(target=drain, args=(lease.shard_id,), daemon=True)
                    running[lease.shard_id].start()
            time.sleep(min(settings.STREAM_SYNC_SECONDS, max(0.0, deadline - time.monotonic())))
        for thread in running.values():
            thread.join(timeout=5)
