"""Archive the stream's shards to S3 from this process (one thread per shard), without Celery."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from alienportal.aws import aws_client
from scoreboard.archive.consumer import shard_archive
from scoreboard.models import LeaseConsumer
from scoreboard.stream.leases import worker_name
from scoreboard.stream.shards import shards_drainable, shards_sync

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Archive every readable shard of the stream to S3 for --seconds (ops, tests and benchmarks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--stream", default=None)

    def handle(self, *args: Any, seconds: float, stream: str | None, **options: Any) -> None:
        stream_name = stream or settings.KINESIS_STREAM_NAME
        kinesis, s3 = aws_client("kinesis"), aws_client("s3")
        deadline = time.monotonic() + seconds
        running: dict[str, threading.Thread] = {}
        owner = worker_name()

        def archive(shard_id: str) -> None:
            try:
                while time.monotonic() < deadline:
                    summary = shard_archive(
                        kinesis=kinesis,
                        s3=s3,
                        stream_name=stream_name,
                        shard_id=shard_id,
                        owner=owner,
                        seconds=deadline - time.monotonic(),
                    )
                    if summary.finished:
                        return
                    if not summary.acquired or summary.lease_lost:
                        time.sleep(1.0)
            finally:
                connection.close()

        while time.monotonic() < deadline:
            leases = shards_sync(kinesis=kinesis, stream_name=stream_name, consumer=LeaseConsumer.ARCHIVE)
            for lease in shards_drainable(leases=leases):
                thread = running.get(lease.shard_id)
                if thread is None or not thread.is_alive():
                    running[lease.shard_id] = threading.Thread(target=archive, args=(lease.shard_id,), daemon=True)
                    running[lease.shard_id].start()
            time.sleep(min(settings.STREAM_SYNC_SECONDS, max(0.0, deadline - time.monotonic())))
        for thread in running.values():
            thread.join(timeout=5)
