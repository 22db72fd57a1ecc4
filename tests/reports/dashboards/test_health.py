"""Operations health: states against the thresholds, through the selector and the Dash callback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from scoreboard.archive.models import ArchiveShardState
from scoreboard.models import LeaseConsumer, ShardLease
from scoreboard.selectors.health import HealthState, pipeline_health
from tests.portal import portal_client
from tests.reports.dashboards.dash import dash_update
from tests.reports.dashboards.health_state import dead_letters_inject, shard_inject

pytestmark = pytest.mark.django_db

HEALTH_OUTPUT = "..health-body.children...dead-letter-chart.figure...page-title.data.."


def health_body() -> dict[str, Any]:
    return {
        "output": HEALTH_OUTPUT,
        "outputs": [],
        "inputs": [{"id": "health-tick", "property": "n_intervals", "value": 1}],
        "state": [],
    }


def test_a_healthy_pipeline_is_green() -> None:
    shard_inject("shardId-000000000000")
    health = pipeline_health()
    assert [shard.state for shard in health.shards] == [HealthState.GREEN]
    assert health.worst == HealthState.GREEN


@pytest.mark.parametrize(("lag_ms", "state"), [(0, "green"), (10_000, "amber"), (120_000, "red")])
def test_a_backlog_turns_lag_amber_then_red(lag_ms: int, state: str) -> None:
    shard_inject("shardId-000000000000", lag_ms=lag_ms, checkpoint_age_s=1)
    shard = pipeline_health().shards[0]
    assert shard.lag == state
    assert pipeline_health().worst == state


def test_a_stopped_worker_turns_its_shard_red() -> None:
    shard_inject("shardId-000000000000", lag_ms=3_000, heartbeat_age_s=120, lease_left_s=-110, checkpoint_age_s=120)
    shard = pipeline_health().shards[0]
    assert (shard.heartbeat, shard.lease, shard.state) == (HealthState.RED, HealthState.RED, HealthState.RED)


def test_dead_letters_per_minute_by_reason() -> None:
    dead_letters_inject(300, reason="malformed_json")
    dead_letters_inject(5, reason="unknown_session", shard_id="shardId-000000000001")
    health = pipeline_health()
    assert {(row.reason, row.count) for row in health.dead_letters} == {("malformed_json", 300), ("unknown_session", 5)}
    assert health.dead_letters_per_minute == 61.0  # (300 + 5) / 5 minutes
    assert health.dead_letter_state == HealthState.RED


@pytest.mark.parametrize("role", ["manager", "support"])
def test_the_callback_shows_the_states_and_titles_the_page_with_the_worst(role: str, request: Any) -> None:
    shard_inject("shardId-000000000000")
    shard_inject("shardId-000000000001", lag_ms=10_000)
    answer = dash_update(portal_client(request.getfixturevalue(role)), "ops_health", health_body())
    assert answer.status_code == 200
    response = answer.json()["response"]
    assert response["page-title"]["data"] == "AMBER · Operations health | Alien Portal"
    assert "shardId-000000000001" in answer.content.decode()


def test_strangers_and_players_are_refused_the_health_callbacks(player: Any) -> None:
    assert dash_update(Client(), "ops_health", health_body()).status_code == 302
    assert dash_update(portal_client(player), "ops_health", health_body()).status_code == 403


def test_the_page_title_carries_the_worst_state(manager: Any) -> None:
    shard_inject("shardId-000000000000", heartbeat_age_s=120, lease_left_s=-110)
    page = portal_client(manager).get("/reports/dashboards/health/").content.decode()
    assert "<title>RED · Operations health | Alien Portal</title>" in page


@pytest.mark.parametrize(("lag_s", "state"), [(30, "green"), (450, "amber"), (1_000, "red")])
def test_an_archive_falling_behind_turns_amber_then_red(lag_s: float, state: str) -> None:
    shard_inject("shardId-000000000000", archive_lag_s=lag_s)
    health = pipeline_health()
    assert (health.archive.lag, health.worst) == (state, state)


def test_a_drain_without_its_archive_is_amber_and_a_failing_upload_too() -> None:
    lease = shard_inject("shardId-000000000000", archive_lag_s=None)
    assert pipeline_health().archive.state == HealthState.AMBER  # the drain reads, nobody archives
    ShardLease.objects.filter(pk=lease.pk).delete()
    assert pipeline_health().archive.state == HealthState.GREEN  # nothing started yet
    shard_inject("shardId-000000000001", archive_lag_s=10)
    ArchiveShardState.objects.update(last_error="S3 unavailable", upload_failures=3)
    archive = pipeline_health().archive
    assert (archive.lag, archive.failing, archive.state) == (HealthState.GREEN, True, HealthState.AMBER)


def _components(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component's props in a Dash layout as JSON, depth first."""
    if isinstance(tree, list):
        for item in tree:
            yield from _components(item)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree["props"]
        yield from _components(tree["props"].get("children"))


def test_each_archive_shard_is_judged_in_the_selector_and_shown_so_by_the_page_and_the_api(manager: Any) -> None:
    shard_inject("shardId-000000000000", archive_lag_s=30)
    shard_inject("shardId-000000000001", archive_lag_s=450)
    shard_inject("shardId-000000000002", archive_lag_s=1_000)
    shard_inject("shardId-000000000003", archive_lag_s=10)
    ArchiveShardState.objects.filter(lease__shard_id="shardId-000000000003").update(
        last_error="S3 unavailable", upload_failures=2
    )
    finished = shard_inject("shardId-000000000004", archive_lag_s=5_000)
    ShardLease.objects.filter(shard_id=finished.shard_id, consumer=LeaseConsumer.ARCHIVE).update(finished=True)

    archive = pipeline_health().archive

    judged = [(shard.shard.shard_id[-1], shard.lag, shard.failing, shard.state) for shard in archive.shards]
    assert judged == [
        ("0", HealthState.GREEN, False, HealthState.GREEN),
        ("1", HealthState.AMBER, False, HealthState.AMBER),
        ("2", HealthState.RED, False, HealthState.RED),
        ("3", HealthState.GREEN, True, HealthState.AMBER),
        ("4", HealthState.GREEN, False, HealthState.GREEN),  # read to its end: nothing left to archive
    ]
    assert (archive.lag, archive.state) == (HealthState.RED, HealthState.RED)

    client = portal_client(manager)
    body = dash_update(client, "ops_health", health_body()).json()["response"]["health-body"]["children"]
    rows = [
        (cells[0]["props"]["children"], cells[1]["props"]["className"], row["className"])
        for row in _components(body)
        if row.get("className", "").startswith("archive-shard")
        for cells in [row["children"]]
    ]
    assert rows == [  # shard, the lag cell's state, the row's (a finished shard is not listed)
        ("shardId-000000000000", "state-green", "archive-shard state-row-green"),
        ("shardId-000000000001", "state-amber", "archive-shard state-row-amber"),
        ("shardId-000000000002", "state-red", "archive-shard state-row-red"),
        ("shardId-000000000003", "state-green", "archive-shard state-row-amber"),
    ]
    shards = client.get("/api/v1/pipeline/archive/").json()["shards"]
    assert [(s["shard_id"][-1], s["lag_health"], s["health"]) for s in shards] == [
        ("0", "green", "green"),
        ("1", "amber", "amber"),
        ("2", "red", "red"),
        ("3", "green", "amber"),
        ("4", "green", "green"),
    ]
