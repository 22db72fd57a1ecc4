"""Celery tasks of the stream drain: beat discovers shards and starts a drain task per free shard."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from alienportal.aws import aws_client
from scoreboard.models import LeaseConsumer
from scoreboard.selectors.health import RETIRED_AFTER
from scoreboard.services import dead_letters_expire, worker_heartbeats_prune
from scoreboard.stream.consumer import shard_drain
from scoreboard.stream.leases import worker_name
from scoreboard.stream.samples import pipeline_sample_take
from scoreboard.stream.shard_work import shard_run_goes_on, shards_unclaimed_sync


@shared_task(ignore_result=True)
def stream_shards_sync() -> list[str]:
    """Discover shards (ListShards) and queue a drain for each readable shard nobody holds."""
    started = shards_unclaimed_sync(consumer=LeaseConsumer.DRAIN)
    for shard_id in started:
        stream_shard_drain.delay(shard_id)
    return started


@shared_task(ignore_result=True, acks_late=True)
def stream_shard_drain(shard_id: str) -> None:
    """Drain one shard for a while; hand it straight on to the next drain task so it never idles."""
    summary = shard_drain(
        kinesis=aws_client("kinesis"),
        stream_name=settings.KINESIS_STREAM_NAME,
        shard_id=shard_id,
        owner=worker_name(),
        seconds=settings.STREAM_DRAIN_SECONDS,
    )
    if shard_run_goes_on(summary):
        stream_shard_drain.delay(shard_id)


@shared_task(ignore_result=True)
def pipeline_sample_task() -> int:
    """Sample the per-shard counters (beat, every PIPELINE_SAMPLE_SECONDS) for throughput figures."""
    return pipeline_sample_take(now=timezone.now())


@shared_task(ignore_result=True)
def dead_letters_expire_task() -> int:
    """Delete dead letters older than DEAD_LETTER_RETENTION_DAYS (beat, hourly)."""
    older_than = timezone.now() - timedelta(days=settings.DEAD_LETTER_RETENTION_DAYS)
    return dead_letters_expire(older_than=older_than)


@shared_task(ignore_result=True)
def worker_heartbeats_prune_task() -> int:
    """Delete heartbeats older than WORKER_HEARTBEAT_RETENTION_HOURS (beat, hourly)."""
    # Never inside the window the health page reads (a shard with no recent beat looks unattended).
    keep = max(timedelta(hours=settings.WORKER_HEARTBEAT_RETENTION_HOURS), RETIRED_AFTER)
    return worker_heartbeats_prune(older_than=timezone.now() - keep)
