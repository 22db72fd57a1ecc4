"""Celery tasks of the raw archive: beat starts an archive task per free shard; replay and retention."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from alienportal.aws import aws_client
from scoreboard.archive.consumer import shard_archive
from scoreboard.archive.retention import score_events_prune
from scoreboard.archive.services import archive_replay_run, reconciliation_due, reconciliation_run
from scoreboard.models import LeaseConsumer
from scoreboard.stream.leases import worker_name
from scoreboard.stream.shard_work import shard_run_goes_on, shards_unclaimed_sync


@shared_task(ignore_result=True)
def archive_shards_sync() -> list[str]:
    """Discover shards for the archive consumer and queue an archive task for each one nobody holds."""
    if not settings.ARCHIVE_CONSUMER_ENABLED:
        return []
    started = shards_unclaimed_sync(consumer=LeaseConsumer.ARCHIVE)
    for shard_id in started:
        archive_shard_run.delay(shard_id)
    return started


@shared_task(ignore_result=True, acks_late=True)
def archive_shard_run(shard_id: str) -> None:
    """Archive one shard for a while, then hand it on to the next archive task."""
    if not settings.ARCHIVE_CONSUMER_ENABLED:
        return
    summary = shard_archive(
        kinesis=aws_client("kinesis"),
        s3=aws_client("s3"),
        stream_name=settings.KINESIS_STREAM_NAME,
        shard_id=shard_id,
        owner=worker_name(),
        seconds=settings.ARCHIVE_TASK_SECONDS,
    )
    if shard_run_goes_on(summary):
        archive_shard_run.delay(shard_id)


@shared_task(ignore_result=True)
def score_events_prune_task() -> int:
    """Delete score events past their retention (SCORE_EVENT_RETENTION_DAYS)."""
    return score_events_prune()


@shared_task(ignore_result=True)
def archive_replay_task(replay_pk: int) -> None:
    """Run a replay a manager asked for (admin)."""
    archive_replay_run(replay_pk=replay_pk)


@shared_task(ignore_result=True)
def archive_reconcile_due_task() -> list[str]:
    """Reconcile closed sessions once their records must all be in S3 (the health page shows the outcome)."""
    if not settings.ARCHIVE_CONSUMER_ENABLED:
        return []
    checked = []
    for session in reconciliation_due():
        reconciliation_run(session=session)
        checked.append(session.session_id)
    return checked
