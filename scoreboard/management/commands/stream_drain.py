"""Drain the stream's shards from this process (one thread per shard), without Celery."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from alienportal.aws import aws_client
from scoreboard.models import LeaseConsumer
from scoreboard.stream.consumer import DrainSummary, shard_drain
from scoreboard.stream.leases import worker_name
from scoreboard.stream.shard_work import shards_work_in_threads


class Command(BaseCommand):
    help = "Drain every readable shard of the stream for --seconds (ops, tests and benchmarks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--stream", default=None)
        parser.add_argument("--limit", type=int, default=None, help="GetRecords Limit")

    def handle(self, *args: Any, seconds: float, stream: str | None, limit: int | None, **options: Any) -> None:
        stream_name = stream or settings.KINESIS_STREAM_NAME
        kinesis = aws_client("kinesis")
        owner = worker_name()

        def drain(shard_id: str, seconds_left: float) -> DrainSummary:
            return shard_drain(
                kinesis=kinesis,
                stream_name=stream_name,
                shard_id=shard_id,
                owner=owner,
                seconds=seconds_left,
                limit=limit,
            )

        shards_work_in_threads(
            kinesis=kinesis, stream_name=stream_name, consumer=LeaseConsumer.DRAIN, seconds=seconds, shard_run=drain
        )
