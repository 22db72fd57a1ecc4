"""The live ranking in Chromium: the top X equals the ranking selector's and follows new standings."""

from __future__ import annotations

from typing import Any

import pytest

from scoreboard.selectors import ranking_top
from tests.reports.dashboards.dash import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def shown_top(page: Any) -> list[tuple[str, int]]:
    rows = page.locator("#top-rows tr").all()
    return [(row.locator("td.nickname").inner_text(), int(row.locator("td.score").inner_text())) for row in rows]


@pytest.mark.parametrize("role", ["manager", "support"])
def test_live_ranking_shows_the_selectors_top_x_and_updates_itself(
    role: str, request: Any, browser_as: Any, game_session: Any, standings_put: Any
) -> None:
    standings_put(
        [
            ("ann", 300, 3, 10),
            ("bob", 500, 1, 40),
            ("cid", 500, 2, 40),
            ("dee", 500, 2, 12),
            ("eve", 100, 3, 1),
            ("fay", 50, 3, 1),
            ("gus", 700, 0, 99),
        ]
    )
    page = browser_as(request.getfixturevalue(role))
    page.goto("/reports/dashboards/live/")
    page.locator("#top-rows tr").nth(4).wait_for()
    expected = [(row.nickname, row.score) for row in ranking_top(session=game_session, limit=game_session.top_x)]
    assert shown_top(page) == expected
    assert [name for name, _ in expected] == ["gus", "dee", "cid", "bob", "ann"]  # the documented order

    # A new leader arrives through the drain: the page shows it without a reload.
    page.evaluate("window.__same_document = true")
    standings_put([("hal", 900, 3, 5)], seconds=1)
    page.locator("#top-rows tr").first.locator("td.nickname", has_text="hal").wait_for(timeout=5_000)
    assert page.evaluate("window.__same_document") is True
    expected = [(row.nickname, row.score) for row in ranking_top(session=game_session, limit=game_session.top_x)]
    assert shown_top(page) == expected

    page.get_by_label("Find a player").fill("eve")
    page.get_by_label("Find a player").press("Enter")
    page.get_by_text("eve is #7 of 8").wait_for()
    assert page.locator("#around-rows tr.highlight td.nickname").inner_text() == "eve"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"live-ranking-{role}.png"), full_page=True)
    session_controls = page.get_by_role("link", name="Session controls")
    assert session_controls.count() == (1 if role == "manager" else 0)


def test_projector_mode_shows_the_ranking_full_screen_without_the_admin(
    browser_as: Any, support: Any, game_session: Any, standings_put: Any
) -> None:
    standings_put([("ann", 300, 3, 10), ("bob", 500, 1, 40), ("cid", 20, 0, 3)])
    page = browser_as(support)
    page.goto(f"/reports/dashboards/live/projector/?session={game_session.session_id}")
    page.locator("#top-rows tr").nth(2).wait_for()
    assert shown_top(page) == [(row.nickname, row.score) for row in ranking_top(session=game_session, limit=5)]
    assert page.locator("#header").count() == 0  # no admin chrome on the projector
    assert page.get_by_role("button", name="Full screen").is_visible()
    page.locator(".main-svg").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "live-ranking-projector.png"), full_page=True)
