"""Operations health in Chromium: the colours follow the injected pipeline state, the title the worst."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reports.dashboards.dash import SCREENSHOTS
from tests.reports.dashboards.health_state import dead_letters_inject, shard_inject

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def badge(page: Any, shard_id: str) -> str:
    return str(page.locator(f"#shard-{shard_id} .state-badge").inner_text())


@pytest.mark.parametrize("role", ["manager", "support"])
def test_health_colours_follow_the_pipeline_state(role: str, request: Any, browser_as: Any, settings: Any) -> None:
    # Heartbeats injected at the start must stay fresh however slowly this loaded machine runs the test.
    settings.HEALTH_THRESHOLDS = {**settings.HEALTH_THRESHOLDS, "heartbeat_age_s": (60, 100)}
    shard_inject("shardId-000000000000")
    shard_inject("shardId-000000000001", lag_ms=10_000)  # a backlog: lag amber
    dead_letters_inject(3, reason="unknown_session")
    page = browser_as(request.getfixturevalue(role))
    page.goto("/reports/dashboards/health/")
    page.locator("#shard-shardId-000000000001").wait_for()

    assert badge(page, "shardId-000000000000") == "green"
    assert badge(page, "shardId-000000000001") == "amber"
    assert "state-amber" in page.locator("#shard-shardId-000000000001 td").nth(2).get_attribute("class")
    assert page.title() == "AMBER · Operations health | Alien Portal"
    page.locator(".main-svg").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"ops-health-{role}.png"), full_page=True)

    # The worker of shard 0 stops: its heartbeat ages and its lease runs out; the page turns red by itself.
    shard_inject("shardId-000000000002", lag_ms=250_000, heartbeat_age_s=120, lease_left_s=-110, checkpoint_age_s=200)
    page.locator("#shard-shardId-000000000002").wait_for(timeout=10_000)
    assert badge(page, "shardId-000000000002") == "red"
    page.wait_for_function("document.title.startsWith('RED')", timeout=10_000)
    assert page.locator("#overall-state").get_attribute("class") == "state-red"
    if role == "manager":
        page.screenshot(path=str(SCREENSHOTS / "ops-health-red.png"), full_page=True)
