"""Per-shard pipeline figures for monitoring systems: lag, throughput, checkpoint age and counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from scoreboard.models import DeadLetter, ShardLease, ShardMetrics, ShardMetricsSample, Standing
from sessions.models import GameSession


@dataclass(frozen=True, slots=True)
class ShardFigures:
    stream_name: str
    shard_id: str
    owner: str  # the worker holding the lease, "" when free
    lease_expires_at: datetime | None
    finished: bool
    checkpoint: int | None  # last committed sequence number
    checkpoint_at: datetime | None
    checkpoint_age_seconds: float | None
    millis_behind_latest: int | None  # Kinesis' own lag figure at the last batch
    records_processed: int
    bytes_processed: int
    dead_letters: int
    discarded: int
    records_per_second: float | None  # over the throughput window; None without a sample yet
    bytes_per_second: float | None


def pipeline_shard_figures(*, now: datetime, stream_name: str | None = None) -> list[ShardFigures]:
    """Return each shard's figures as of `now`, throughput measured against the sample one window back."""
    window = timedelta(seconds=settings.PIPELINE_THROUGHPUT_SECONDS)
    samples = ShardMetricsSample.objects.filter(lease=OuterRef("pk"), taken_at__lte=now)
    leases = ShardLease.objects.drained(stream_name=stream_name)
    # The newest sample at least one window old; while none is that old yet, the oldest there is.
    annotated = leases.annotate(
        base_sample=Coalesce(
            Subquery(samples.filter(taken_at__lte=now - window).order_by("-taken_at").values("pk")[:1]),
            Subquery(samples.order_by("taken_at").values("pk")[:1]),
        )
    )
    # ShardLeases with `base_sample`: django-stubs does not carry annotations on a custom QuerySet.
    rows: list[Any] = list(annotated)
    base = ShardMetricsSample.objects.in_bulk([row.base_sample for row in rows if row.base_sample is not None])
    figures = []
    for lease in rows:
        metrics = getattr(lease, "metrics", None)
        records = metrics.records_processed if metrics else 0
        size = metrics.bytes_processed if metrics else 0
        sample = base.get(lease.base_sample) if lease.base_sample is not None else None
        elapsed = (now - sample.taken_at).total_seconds() if sample is not None else 0.0
        figures.append(
            ShardFigures(
                stream_name=lease.stream_name,
                shard_id=lease.shard_id,
                owner=lease.owner,
                lease_expires_at=lease.expires_at,
                finished=lease.finished,
                checkpoint=int(lease.checkpoint) if lease.checkpoint is not None else None,
                checkpoint_at=lease.checkpoint_at,
                checkpoint_age_seconds=(now - lease.checkpoint_at).total_seconds() if lease.checkpoint_at else None,
                millis_behind_latest=metrics.millis_behind_latest if metrics else None,
                records_processed=records,
                bytes_processed=size,
                dead_letters=metrics.dead_letters if metrics else 0,
                discarded=metrics.discarded if metrics else 0,
                records_per_second=(records - sample.records_processed) / elapsed if sample and elapsed > 0 else None,
                bytes_per_second=(size - sample.bytes_processed) / elapsed if sample and elapsed > 0 else None,
            )
        )
    return figures


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    """The few figures a terminal status line shows: how much was drained, who plays, what failed."""

    records_processed: int  # by the drain, every shard and stream incarnation
    open_sessions: int
    players: int  # standings in the open sessions
    dead_letters: int  # not replayed yet


def pipeline_summary() -> PipelineSummary:
    """Return the pipeline's running totals (four small aggregate queries)."""
    records = ShardMetrics.objects.aggregate(records=Sum("records_processed"))["records"]
    return PipelineSummary(
        records_processed=int(records or 0),
        open_sessions=GameSession.objects.open().count(),
        players=Standing.objects.filter(session__closing_time__isnull=True).count(),
        dead_letters=DeadLetter.objects.filter(replayed_at__isnull=True).count(),
    )
