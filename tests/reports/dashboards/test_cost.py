"""Cost and capacity: utilisation against Kinesis' limits, reshard advice, monthly cost; managers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from scoreboard.models import ShardMetrics, ShardMetricsSample
from scoreboard.selectors.capacity import monthly_cost, stream_capacity
from tests.portal import portal_client
from tests.reports.dashboards.dash import dash_update
from tests.reports.dashboards.health_state import shard_inject

pytestmark = pytest.mark.django_db

COST_BODY = {
    "output": "..cost-body.children...utilisation-chart.figure..",
    "outputs": [],
    "inputs": [{"id": "cost-tick", "property": "n_intervals", "value": 1}],
    "state": [],
}


def shard_at_rate(shard_id: str, *, records_per_second: float, record_bytes: int = 150) -> None:
    """A shard whose counters grew at this rate over the last minute (a sample a minute back)."""
    lease = shard_inject(shard_id, records=10_000_000)
    ShardMetrics.objects.filter(lease=lease).update(bytes_processed=10_000_000 * record_bytes)
    before = 10_000_000 - int(records_per_second * 60)
    ShardMetricsSample.objects.create(
        lease=lease,
        taken_at=timezone.now() - timedelta(seconds=60),
        records_processed=before,
        bytes_processed=before * record_bytes,
    )


def test_a_busy_shard_asks_for_a_split() -> None:
    shard_at_rate("shardId-000000000000", records_per_second=900)
    shard_at_rate("shardId-000000000001", records_per_second=100)
    capacity = stream_capacity(now=timezone.now())
    busy = capacity.shards[0]
    assert busy.write_records_share == pytest.approx(0.9, rel=0.02)
    assert capacity.advice.action == "split"
    assert capacity.advice.target_shards == 3


def test_quiet_shards_may_merge() -> None:
    shard_at_rate("shardId-000000000000", records_per_second=20)
    shard_at_rate("shardId-000000000001", records_per_second=30)
    assert stream_capacity(now=timezone.now()).advice.action == "merge"


def test_a_full_150_seat_session_fits_one_shard() -> None:
    shard_at_rate("shardId-000000000000", records_per_second=500)
    assert stream_capacity(now=timezone.now()).session_shards_needed == 1


def test_monthly_cost_from_the_list_prices() -> None:
    lines = {line.item: line for line in monthly_cost(shards=2, records_per_second=500, bytes_per_second=75_000)}
    assert lines["Kinesis shard hours"].monthly == pytest.approx(2 * 720 * 0.015)
    # 500 records/s for 30 days = 1,296 million PUT payload units of 25 KB at $0.014 per million.
    assert lines["Kinesis PUT payload units"].monthly == pytest.approx(1296 * 0.014)


def test_managers_see_the_cost_callbacks_support_and_others_do_not(manager: Any, support: Any, player: Any) -> None:
    shard_at_rate("shardId-000000000000", records_per_second=500)
    answer = dash_update(portal_client(manager), "cost", COST_BODY)
    assert answer.status_code == 200
    assert "Estimated month" in answer.content.decode()
    assert dash_update(portal_client(support), "cost", COST_BODY).status_code == 403
    assert dash_update(portal_client(player), "cost", COST_BODY).status_code == 403
    assert dash_update(Client(), "cost", COST_BODY).status_code == 302
    assert portal_client(support).get("/reports/dashboards/cost/").status_code == 403
    assert portal_client(support).get("/reports/dashboards/dash/app/cost/_dash-layout").status_code == 403


def test_two_busy_consumers_exceed_the_getrecords_limit_and_say_so() -> None:
    shard_at_rate("shardId-000000000000", records_per_second=500)
    capacity = stream_capacity(now=timezone.now())
    assert capacity.shards[0].read_calls_per_second == 10  # drain + archive, each every 0.2 s
    assert "above Kinesis' 5/s per shard" in capacity.read_calls_warning
