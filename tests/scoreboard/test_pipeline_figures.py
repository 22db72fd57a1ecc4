"""Per-shard figures for monitoring: throughput from counter samples, lag and checkpoint age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from scoreboard.management.commands.pipeline_status import status_line
from scoreboard.models import DeadLetter, ShardLease, ShardMetrics, ShardMetricsSample
from scoreboard.selectors.pipeline import PipelineSummary, pipeline_shard_figures, pipeline_summary
from scoreboard.stream.persist import StreamRecord, batch_persist
from scoreboard.stream.samples import SAMPLE_RETENTION, pipeline_sample_take
from tests.factories import record

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(PIPELINE_THROUGHPUT_SECONDS=60)
def test_throughput_is_the_counters_growth_since_the_sample_one_window_back(make_session, fence) -> None:
    make_session()
    batch_persist(fence=fence, records=[record(1), record(2, nickname="bob")], millis_behind_latest=1500)
    start = timezone.now()
    assert pipeline_sample_take(now=start - timedelta(seconds=90)) == 1  # too old: a newer one qualifies
    pipeline_sample_take(now=start - timedelta(seconds=60))
    before = ShardMetrics.objects.get()
    batch_persist(fence=fence, records=[record(seq, nickname=f"p{seq}") for seq in range(3, 33)])
    after = ShardMetrics.objects.get()

    [figures] = pipeline_shard_figures(now=start)
    assert figures.records_processed == after.records_processed == before.records_processed + 30
    assert figures.records_per_second == pytest.approx(30 / 60)
    assert figures.bytes_per_second == pytest.approx((after.bytes_processed - before.bytes_processed) / 60)
    assert figures.millis_behind_latest is None  # the last batch did not say
    lease = ShardLease.objects.get()
    assert figures.checkpoint == 32 == int(lease.checkpoint)
    assert figures.checkpoint_age_seconds == pytest.approx((start - lease.checkpoint_at).total_seconds())
    assert figures.owner == "tester"
    assert pipeline_shard_figures(now=start, stream_name="other-stream") == []


def test_without_samples_there_is_no_throughput_and_old_samples_are_forgotten(make_session, fence) -> None:
    make_session()
    now = timezone.now()
    [figures] = pipeline_shard_figures(now=now)
    assert figures.records_per_second is None
    assert figures.checkpoint_at is None
    assert figures.checkpoint_age_seconds is None

    pipeline_sample_take(now=now - SAMPLE_RETENTION - timedelta(seconds=1))
    pipeline_sample_take(now=now)
    assert list(ShardMetricsSample.objects.values_list("taken_at", flat=True)) == [now]
    # Only a sample taken just now: no time has passed, so still no rate.
    assert pipeline_shard_figures(now=now)[0].records_per_second is None


def test_the_summary_counts_drained_records_open_sessions_their_players_and_waiting_dead_letters(
    make_session, fence
) -> None:
    closed = make_session(session_id="X261127T090000", closing_time=timezone.now())
    make_session()
    batch_persist(
        fence=fence,
        records=[
            record(1),
            record(2, nickname="bob"),
            record(3, nickname="ann", score=300),  # the same player again
            record(4, session_id=closed.session_id, nickname="cid", seconds=-7200),  # a closed session's
            StreamRecord(5, b"not json"),
            StreamRecord(6, b"{}"),
        ],
    )
    DeadLetter.objects.filter(sequence_number=6).update(replayed_at=timezone.now())

    summary = pipeline_summary()

    assert summary == PipelineSummary(records_processed=6, open_sessions=1, players=2, dead_letters=1)
    assert status_line(summary, 2.5) == "2.5 records/s · 1 open session · 2 players · 1 dead letter"
