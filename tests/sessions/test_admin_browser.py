"""A manager opens, starts and closes a session by clicking through the admin in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from alienportal.models import AuditEntry
from sessions.models import GameSession
from tests.portal import portal_client

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-logs"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Any, live_server: Any, manager: User) -> Iterator[Any]:
    # Signed in as the provider would sign the manager in, carried over by the session cookie.
    client = portal_client(manager)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_manager_runs_a_synchronized_timed_session_by_clicking(page: Any, manager: User) -> None:
    page.goto("/admin/game_sessions/gamesession/")
    page.get_by_role("link", name="Add game session").click()
    page.get_by_label("Time constrained").check()
    page.get_by_label("Minutes").fill("10")
    page.get_by_label("Synchronized").check()
    page.get_by_label("Session name").fill("Browser")
    page.get_by_role("button", name="Open session").click()

    page.get_by_text("Session Browser is open.").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "session-open.png"), full_page=True)
    page.get_by_role("button", name="Start now (synchronized)").click()
    page.get_by_text("Session Browser started.").wait_for()
    page.get_by_role("link", name="Close session…").click()
    page.get_by_role("button", name="Yes, close Browser").click()
    page.get_by_text("Session Browser closed.").wait_for()
    assert page.get_by_role("link", name="Close session…").count() == 0

    session = GameSession.objects.get(session_id="Browser")
    assert (session.game_type, session.time_limit_minutes, session.synchronized) == ("TIME_CONSTRAINED", 10, True)
    assert session.synchronize_time is not None
    assert session.closing_time is not None
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "session.open",
        "session.start",
        "session.close",
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {manager.pk}
