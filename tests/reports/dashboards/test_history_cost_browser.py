"""History and cost dashboards in Chromium: what they show equals the selectors; support never sees cost."""

from __future__ import annotations

from typing import Any

import pytest

from scoreboard.selectors.history import leaderboard_window
from tests.reports.dashboards.dash import SCREENSHOTS
from tests.reports.dashboards.test_cost import shard_at_rate
from tests.reports.dashboards.test_history import two_sessions  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", ["manager", "support"])
def test_history_shows_the_leaderboard_and_a_players_sessions(
    role: str,
    request: Any,
    browser_as: Any,
    two_sessions: Any,  # noqa: F811
) -> None:
    _first, later = two_sessions
    page = browser_as(request.getfixturevalue(role))
    page.goto("/reports/dashboards/history/")
    page.get_by_label("Player").fill("ann")
    page.get_by_role("button", name="Show").click()
    page.locator("#player-history tbody tr").nth(1).wait_for()

    shown = [
        (row.locator("td").nth(1).inner_text(), int(row.locator("td").nth(2).inner_text()))
        for row in page.locator("#leaderboard-table tbody tr").all()
    ]
    assert shown == [(entry.nickname, entry.score) for entry in leaderboard_window(limit=20)]
    assert page.locator("#player-history tbody tr").first.locator("td").first.inner_text() == later.session_id
    page.locator("#timeline-chart .main-svg").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"history-{role}.png"), full_page=True)


def test_cost_and_capacity_for_managers_only(browser_as: Any, manager: Any, support: Any) -> None:
    shard_at_rate("shardId-000000000000", records_per_second=900)
    shard_at_rate("shardId-000000000001", records_per_second=100)
    page = browser_as(manager)
    page.goto("/reports/dashboards/cost/")
    page.locator("#reshard-advice").wait_for()
    assert "split → 3" in page.locator("#reshard-advice").inner_text()
    assert page.locator("#cost-table tbody tr").last.locator("td").first.inner_text() == "Total"
    page.locator("#utilisation-chart .main-svg").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "cost-manager.png"), full_page=True)

    refused = browser_as(support)
    response = refused.goto("/reports/dashboards/cost/")
    assert response.status == 403
    assert refused.get_by_role("link", name="Cost and capacity").count() == 0
    refused.screenshot(path=str(SCREENSHOTS / "cost-support-refused.png"), full_page=True)
