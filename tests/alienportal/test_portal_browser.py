"""The portal's frame in Chromium: the home page per role, the 403 page, closing a session, History, dates, API docs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from scoreboard.models import DeadLetter, SessionDiscards
from sessions.models import GameSession, GameType
from sessions.services import seat_allocate, session_open
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Not committed (var/ is ignored): looked at by whoever changes these pages.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "portal"


@pytest.fixture
def signed_in(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """Return a function giving a Chromium page signed in as a user (as the provider would sign them in)."""
    contexts = []

    def open_as(user: User, *, timezone_id: str = "UTC") -> Any:
        client = portal_client(user)
        context = browser.new_context(
            base_url=live_server.url, timezone_id=timezone_id, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_each_role_s_home_page_links_what_it_may_use(signed_in: Callable[..., Any]) -> None:
    manager = signed_in(UserFactory(username="mia-manager", roles=[Role.MANAGERS]))
    manager.goto("/")
    assert manager.title() == "Home | Alien Portal"
    assert manager.get_by_role("heading", name="Welcome, mia-manager").is_visible()
    for section in ("Game sessions", "Dashboards", "Support desk", "Reports API", "Audit", "Administration"):
        assert manager.get_by_role("heading", name=section, exact=True).is_visible(), section
    shot(manager, "home-manager")
    manager.get_by_role("link", name="Open a session").click()
    manager.get_by_role("button", name="Open session").wait_for()
    manager.get_by_role("link", name="View site").click()
    manager.wait_for_url("**/")
    manager.get_by_role("link", name="Cost and capacity").click()
    manager.wait_for_url("**/reports/dashboards/cost/")

    support = signed_in(UserFactory(username="sue-support", roles=[Role.SUPPORT]))
    support.goto("/")
    assert support.locator("#home-support-desk").get_by_role("link", name="Tickets", exact=True).is_visible()
    assert support.get_by_role("link", name="Live ranking").is_visible()
    assert support.get_by_role("link", name="Open a session").count() == 0
    assert support.get_by_role("link", name="Cost and capacity").count() == 0
    assert support.get_by_role("heading", name="Audit", exact=True).count() == 0
    shot(support, "home-support")
    support.locator("#home-support-desk").get_by_role("link", name="Tickets", exact=True).click()
    support.wait_for_url("**/admin/support/ticket/")

    nobody = signed_in(UserFactory(username="nora-nobody"))
    response = nobody.goto("/")
    assert response.status == 403
    assert nobody.get_by_role("heading", name="No access to Alien Portal").is_visible()
    assert nobody.get_by_role("button", name="Sign out").is_visible()
    shot(nobody, "home-no-role")


def test_a_refused_page_keeps_the_portal_s_frame_and_a_way_back(signed_in: Callable[..., Any]) -> None:
    support = signed_in(UserFactory(username="sue-support", roles=[Role.SUPPORT]))
    response = support.goto("/admin/game_sessions/gamesession/add/")
    assert response.status == 403
    assert support.get_by_text("This page is not open to your role.").is_visible()
    assert support.get_by_text("sue-support").first.is_visible()
    assert support.get_by_role("button", name="Sign out").is_visible()
    shot(support, "forbidden-support")
    support.get_by_role("link", name="Back to the Alien Portal home page").click()
    support.wait_for_url("**/")
    assert support.get_by_role("heading", name="Welcome, sue-support").is_visible()


def test_closing_asks_first_and_history_shows_the_audit_log(signed_in: Callable[..., Any]) -> None:
    manager_user = UserFactory(username="mia-manager", roles=[Role.MANAGERS])
    session = session_open(manager=manager_user, game_type=GameType.MULTIPLE_TRIALS, session_id="Careful")
    seat_allocate(nickname="ann")
    page = signed_in(manager_user, timezone_id="Asia/Tokyo")
    change = f"/admin/game_sessions/gamesession/{session.pk}/change/"
    page.goto(change)
    page.reload()  # the first page told the portal the browser's zone; from now on times are Tokyo's
    assert page.locator("time").first.inner_text().endswith("JST")
    assert page.locator("#ssm-publication").inner_text().count("+00:00") == 0
    shot(page, "session-change")

    page.get_by_role("link", name="Close session…").click()
    page.get_by_role("button", name="Yes, close Careful").wait_for()
    assert page.get_by_text("1 player playing now").is_visible()
    shot(page, "session-close-confirmation")
    page.get_by_role("link", name="No, take me back").click()
    page.wait_for_url(f"**{change}")
    assert GameSession.objects.get(pk=session.pk).is_open

    page.get_by_role("link", name="Close session…").click()
    page.get_by_role("button", name="Yes, close Careful").click()
    page.get_by_text("Session Careful closed.").wait_for()
    assert not GameSession.objects.get(pk=session.pk).is_open

    page.get_by_role("link", name="History").click()
    rows = page.locator("#audit-history tbody tr")
    rows.first.wait_for()
    assert [rows.nth(i).locator("code").inner_text() for i in range(rows.count())] == ["session.close", "session.open"]
    when = rows.first.locator("th time")
    assert when.get_attribute("title").endswith("Z")  # ISO 8601 on hover
    assert when.inner_text().endswith("JST")
    shot(page, "session-history")

    page.goto("/admin/game_sessions/gamesession/")
    assert page.locator("#result_list time").first.inner_text().endswith("JST")
    assert "last published never" in page.locator("#ssm-publication").inner_text()  # SSM is not reached here
    shot(page, "session-list")


def test_the_session_page_shows_what_was_not_counted(signed_in: Callable[..., Any]) -> None:
    manager_user = UserFactory(username="mia-manager", roles=[Role.MANAGERS])
    session = session_open(manager=manager_user, game_type=GameType.MULTIPLE_TRIALS, session_id="Lost")
    SessionDiscards.objects.create(session=session, after_closing=12)
    for sequence in range(1, 4):
        data = b'{"SessionId": "Lost", "Nickname": "late-%d", "Score": 5}' % sequence
        DeadLetter.objects.create(
            shard_id="shardId-000000000000",
            sequence_number=sequence,
            data=data,
            reason="future_timestamp",
            session_id="Lost",
        )
    page = signed_in(manager_user)
    page.goto(f"/admin/game_sessions/gamesession/{session.pk}/change/")
    panel = page.locator("#session-losses")
    assert "12 records discarded" in panel.inner_text()
    assert panel.locator("#dead-letter-examples tbody tr").count() == 3
    shot(page, "session-losses")
    panel.get_by_role("link", name="See all of this session's dead letters").click()
    page.wait_for_url("**/admin/scoreboard/deadletter/?session_id__exact=Lost")
    assert page.get_by_text("3 dead letters").is_visible()


def test_the_api_docs_render_every_operation_without_the_internet(
    signed_in: Callable[..., Any], live_server: Any
) -> None:
    page = signed_in(UserFactory(username="mia-manager", roles=[Role.MANAGERS]))
    elsewhere: list[str] = []

    def only_the_portal(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_portal)
    page.goto("/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.get_by_text("/api/v1/").first.is_visible() or page.locator(".opblock-summary-path").count() > 10
    assert elsewhere == []
    shot(page, "api-docs")
