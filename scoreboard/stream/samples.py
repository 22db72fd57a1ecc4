"""Samples of the per-shard counters, so monitoring can read throughput (records/s) over a recent window."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from scoreboard.models import ShardMetrics, ShardMetricsSample

# Long enough for a monitoring system's look-back; short enough that the table stays tiny.
SAMPLE_RETENTION = timedelta(hours=1)


@transaction.atomic
def pipeline_sample_take(*, now: datetime) -> int:
    """Record every shard's counters as of `now` and forget samples past retention; return how many were taken."""
    ShardMetricsSample.objects.filter(taken_at__lt=now - SAMPLE_RETENTION).delete()
    samples = [
        ShardMetricsSample(lease_id=lease_id, taken_at=now, records_processed=records, bytes_processed=size)
        # Retired leases (an earlier stream incarnation) no longer move: nothing to sample.
        for lease_id, records, size in ShardMetrics.objects.filter(lease__retired_at__isnull=True).values_list(
            "lease_id", "records_processed", "bytes_processed"
        )
    ]
    ShardMetricsSample.objects.bulk_create(samples)
    return len(samples)
