"""Archive the stream's shards to S3 from this process (one thread per shard), without Celery."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from alienportal.aws import aws_client
from scoreboard.archive.consumer import ArchiveSummary, shard_archive
from scoreboard.models import LeaseConsumer
from scoreboard.stream.leases import worker_name
from scoreboard.stream.shard_work import shards_work_in_threads


class Command(BaseCommand):
    help = "Archive every readable shard of the stream to S3 for --seconds (ops, tests and benchmarks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--stream", default=None)

    def handle(self, *args: Any, seconds: float, stream: str | None, **options: Any) -> None:
        stream_name = stream or settings.KINESIS_STREAM_NAME
        kinesis, s3 = aws_client("kinesis"), aws_client("s3")
        owner = worker_name()

        def archive(shard_id: str, seconds_left: float) -> ArchiveSummary:
            return shard_archive(
                kinesis=kinesis, s3=s3, stream_name=stream_name, shard_id=shard_id, owner=owner, seconds=seconds_left
            )

        shards_work_in_threads(
            kinesis=kinesis, stream_name=stream_name, consumer=LeaseConsumer.ARCHIVE, seconds=seconds, shard_run=archive
        )
