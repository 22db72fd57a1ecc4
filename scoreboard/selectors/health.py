"""Reads of the pipeline's health and capacity, for the operations and cost dashboards.

Every read here is a handful of rows (one per shard, per live worker, per queue) or an indexed
window (dead letters of the last minutes), so a dashboard may ask every few seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncMinute
from django.utils import timezone
from redis.exceptions import RedisError

from alienportal.redis_clients import redis_at
from scoreboard.archive.models import ReconciliationRun
from scoreboard.archive.selectors import ArchiveShardStatus, ArchiveStatus, archive_status
from scoreboard.models import DeadLetter, LeaseConsumer, ShardLease, ShardMetrics
from scoreboard.selectors import WorkerHealth, pipeline_workers
from scoreboard.selectors.pipeline import ShardFigures, pipeline_shard_figures
from sessions.selectors import publication_get

logger = logging.getLogger(__name__)

# Heartbeats older than this are of drain calls that ended (each call beats under its own name):
# history, not a worker to worry about. A shard's own state tells whether anyone drains it now.
RETIRED_AFTER = timedelta(minutes=10)
DEAD_LETTER_WINDOW_MINUTES = 15
# The dead-letter rate compared with the thresholds: the mean of the last minutes.
DEAD_LETTER_RATE_MINUTES = 5


class HealthState(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    UNKNOWN = "unknown"


_ORDER = {HealthState.GREEN: 0, HealthState.UNKNOWN: 1, HealthState.AMBER: 2, HealthState.RED: 3}


def health_worst(states: list[HealthState]) -> HealthState:
    """Return the worst of `states` (red > amber > unknown > green); green when there are none."""
    return max(states, key=_ORDER.__getitem__, default=HealthState.GREEN)


def health_state(value: float | None, *, threshold: str) -> HealthState:
    """Classify `value` against settings.HEALTH_THRESHOLDS[threshold] = (amber at, red at)."""
    if value is None:
        return HealthState.UNKNOWN
    amber, red = settings.HEALTH_THRESHOLDS[threshold]
    if value >= red:
        return HealthState.RED
    if value >= amber:
        return HealthState.AMBER
    return HealthState.GREEN


@dataclass(frozen=True, slots=True)
class ShardState:
    shard: ShardFigures
    lag: HealthState
    checkpoint_age_s: float | None
    checkpoint: HealthState
    lease_free: bool
    lease: HealthState
    heartbeat_age_s: float | None  # the freshest heartbeat of any worker on this shard
    heartbeat: HealthState
    state: HealthState


@dataclass(frozen=True, slots=True)
class WorkerState:
    worker: WorkerHealth
    age_s: float
    state: HealthState


@dataclass(frozen=True, slots=True)
class DeadLetterMinute:
    minute: datetime
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class PublicationState:
    pending: bool
    published_at: datetime | None
    last_attempt_at: datetime | None
    failed_attempts: int
    last_error: str
    state: HealthState


@dataclass(frozen=True, slots=True)
class ArchiveShardHealth:
    """One shard of the raw archive, judged: its lag against HEALTH_THRESHOLDS['archive_lag_s']."""

    shard: ArchiveShardStatus
    lag: HealthState
    failing: bool  # its last upload failed and none succeeded since
    state: HealthState


@dataclass(frozen=True, slots=True)
class ArchiveState:
    """The raw archive on the health page: its lag and last upload, and the latest reconciliations."""

    status: ArchiveStatus
    lag: HealthState
    failing: bool  # the last upload of some shard failed and none succeeded since
    reconciliations: list[ReconciliationRun]
    reconciliation: HealthState
    state: HealthState
    shards: list[ArchiveShardHealth]  # in shard order, finished shards included


@dataclass(frozen=True)
class PipelineHealth:
    at: datetime
    shards: list[ShardState]
    workers: list[WorkerState]
    dead_letters: list[DeadLetterMinute]
    dead_letters_per_minute: float
    dead_letter_state: HealthState
    queues: dict[str, int | None]
    queue_state: HealthState
    publication: PublicationState
    archive: ArchiveState
    worst: HealthState = field(default=HealthState.GREEN)


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def _shard_state(shard: ShardFigures, *, now: datetime, heartbeat_age: float | None) -> ShardState:
    if shard.finished:
        done = HealthState.GREEN
        return ShardState(shard, done, None, done, False, done, heartbeat_age, done, done)
    lag = health_state(shard.millis_behind_latest, threshold="lag_ms")
    checkpoint_age = shard.checkpoint_age_seconds
    # An idle shard's checkpoint does not move: its age only matters while records wait.
    caught_up = shard.millis_behind_latest == 0
    checkpoint = HealthState.GREEN if caught_up else health_state(checkpoint_age, threshold="checkpoint_age_s")
    lease_free = not shard.owner or shard.lease_expires_at is None or shard.lease_expires_at <= now
    if lease_free:
        # Beat hands a free shard to a worker within seconds; free for longer means nobody can take it.
        free_for = _age(now, shard.lease_expires_at)
        lease = (
            HealthState.AMBER
            if free_for is not None and free_for < settings.HEALTH_THRESHOLDS["heartbeat_age_s"][1]
            else HealthState.RED
        )
    else:
        lease = HealthState.GREEN
    heartbeat = health_state(heartbeat_age, threshold="heartbeat_age_s")
    state = health_worst([lag, checkpoint, lease, heartbeat])
    return ShardState(shard, lag, checkpoint_age, checkpoint, lease_free, lease, heartbeat_age, heartbeat, state)


def dead_letters_per_minute(*, now: datetime, minutes: int = DEAD_LETTER_WINDOW_MINUTES) -> list[DeadLetterMinute]:
    """Return dead letters per minute and reason over the last `minutes` (grouped in the database)."""
    rows = (
        DeadLetter.objects.filter(created_at__gte=now - timedelta(minutes=minutes))
        .annotate(minute=TruncMinute("created_at"))
        .values("minute", "reason")
        .annotate(count=Count("pk"))
        .order_by("minute", "reason")
    )
    return [DeadLetterMinute(minute=row["minute"], reason=row["reason"], count=row["count"]) for row in rows]


def pipeline_queue_depths() -> dict[str, int | None]:
    """Return the number of messages waiting in each Celery queue (Redis LLEN; None if unreadable)."""
    names = sorted({"celery", *(route.get("queue", "celery") for route in settings.CELERY_TASK_ROUTES.values())})
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return dict.fromkeys(names)
    try:
        client = redis_at(url, socket_timeout=2, connect_timeout=2)
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
        return dict(zip(names, (int(n) for n in pipe.execute()), strict=True))
    except RedisError:
        logger.warning("queue_depth_unavailable")
        return dict.fromkeys(names)


def _publication_state() -> PublicationState:
    publication = publication_get()
    if not publication.is_pending:
        state = HealthState.GREEN
    else:
        state = health_state(publication.failed_attempts, threshold="ssm_failed_attempts")
        state = health_worst([state, HealthState.AMBER])  # behind SSM is never green
    return PublicationState(
        pending=publication.is_pending,
        published_at=publication.published_at,
        last_attempt_at=publication.last_attempt_at,
        failed_attempts=publication.failed_attempts,
        last_error=publication.last_error,
        state=state,
    )


def pipeline_health(*, now: datetime | None = None) -> PipelineHealth:
    """Return every health signal of the pipeline, each classified against settings.HEALTH_THRESHOLDS."""
    now = now or timezone.now()
    workers = [
        WorkerState(worker=worker, age_s=age, state=health_state(age, threshold="heartbeat_age_s"))
        for worker in pipeline_workers()
        if (age := _age(now, worker.beat_at) or 0.0) < RETIRED_AFTER.total_seconds()
    ]
    freshest: dict[str, float] = {}
    for worker in workers:
        freshest[worker.worker.shard_id] = min(worker.age_s, freshest.get(worker.worker.shard_id, worker.age_s))
    shards = [
        _shard_state(shard, now=now, heartbeat_age=freshest.get(shard.shard_id))
        for shard in pipeline_shard_figures(now=now, stream_name=settings.KINESIS_STREAM_NAME)
    ]
    letters = dead_letters_per_minute(now=now)
    recent = now - timedelta(minutes=DEAD_LETTER_RATE_MINUTES)
    per_minute = sum(letter.count for letter in letters if letter.minute >= recent) / DEAD_LETTER_RATE_MINUTES
    dead_letter_state = health_state(per_minute, threshold="dead_letters_per_min")
    queues = pipeline_queue_depths()
    queue_state = health_worst([health_state(depth, threshold="queue_depth") for depth in queues.values()])
    publication = _publication_state()
    archive = pipeline_archive_state()
    # Workers are judged through their shards (a finished drain call's heartbeat just stops).
    worst = health_worst(
        [*(shard.state for shard in shards), dead_letter_state, queue_state, publication.state, archive.state]
    )
    return PipelineHealth(
        at=now,
        shards=shards,
        workers=workers,
        dead_letters=letters,
        dead_letters_per_minute=per_minute,
        dead_letter_state=dead_letter_state,
        queues=queues,
        queue_state=queue_state,
        publication=publication,
        archive=archive,
        worst=worst,
    )


def pipeline_records_total(*, stream_name: str | None = None) -> tuple[int, int]:
    """Return (records, bytes) processed so far over every shard (a handful of rows, summed in the DB)."""
    metrics = ShardMetrics.objects.all()
    if stream_name is not None:
        metrics = metrics.filter(lease__stream_name=stream_name)
    totals = metrics.aggregate(records=Sum("records_processed"), bytes=Sum("bytes_processed"))
    return int(totals["records"] or 0), int(totals["bytes"] or 0)


RECONCILIATIONS_SHOWN = 3


def _archive_shard_health(shard: ArchiveShardStatus, *, enabled: bool) -> ArchiveShardHealth:
    if shard.finished or not enabled:
        # A shard read to its end (after resharding) has nothing left to archive; with the
        # archive off, a real Firehose archives the stream and nothing of ours is judged.
        done = HealthState.GREEN
        return ArchiveShardHealth(shard, done, False, done)
    lag = health_state(shard.lag_seconds, threshold="archive_lag_s")
    failing = bool(shard.last_error)
    return ArchiveShardHealth(shard, lag, failing, health_worst([lag, HealthState.AMBER]) if failing else lag)


def pipeline_archive_state() -> ArchiveState:
    """Return the raw archive's lag, last upload and latest reconciliations, each judged against the thresholds."""
    status = archive_status()
    shards = [_archive_shard_health(shard, enabled=status.enabled) for shard in status.shards]
    recent = list(ReconciliationRun.objects.select_related("session")[:RECONCILIATIONS_SHOWN])
    if not status.enabled:
        # A real Firehose archives the stream (ARCHIVE_CONSUMER_ENABLED=false): nothing of ours to judge.
        lag, failing = HealthState.GREEN, False
    else:
        if status.shards:
            lag = health_state(status.lag_seconds, threshold="archive_lag_s")
        else:
            # No archive lease yet: fine before anything started; amber once the drain reads the
            # stream without it (records would outlive Kinesis' retention unarchived).
            draining = ShardLease.objects.filter(stream_name=status.stream_name, consumer=LeaseConsumer.DRAIN).exists()
            lag = HealthState.AMBER if draining else HealthState.GREEN
        failing = any(shard.failing for shard in shards)
    # The latest check of each session decides: a difference found and not yet checked again is red.
    latest: dict[int, ReconciliationRun] = {}
    for run in recent:
        latest.setdefault(run.session_id, run)
    reconciliation = HealthState.RED if any(not run.ok for run in latest.values()) else HealthState.GREEN
    state = health_worst([lag, HealthState.AMBER if failing else HealthState.GREEN, reconciliation])
    return ArchiveState(status, lag, failing, recent, reconciliation, state, shards)
