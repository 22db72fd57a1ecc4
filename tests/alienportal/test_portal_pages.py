"""The portal's frame: branding, the home page per role, the 403 page and its log line, one date format."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from alienportal.access import Role
from alienportal.dates import when_html
from sessions.models import GameType
from sessions.services import session_open
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager() -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


@pytest.fixture
def support() -> User:
    return UserFactory(username="sue-support", roles=[Role.SUPPORT])


def _home(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_is_branded_and_view_site_leads_home(manager: User) -> None:
    page = portal_client(manager).get("/admin/").content.decode()
    assert "<title>Administration | Alien Portal</title>" in page
    assert '<div id="site-name"><a href="/">Alien Portal</a></div>' in page
    assert '<a href="/">View site</a>' in page
    assert "Django administration" not in page
    assert "Django site admin" not in page


def test_a_manager_s_home_links_everything_a_manager_may_use(manager: User) -> None:
    page = _home(portal_client(manager))
    assert "<title>Home | Alien Portal</title>" in page
    for link in (
        'href="/admin/game_sessions/gamesession/"',
        'href="/admin/game_sessions/gamesession/add/">Open a session',
        'href="/reports/dashboards/live/"',
        'href="/reports/dashboards/cost/">Cost and capacity',
        'href="/api/docs/"',
        'href="/admin/support/ticket/"',
        'href="/admin/support/slapolicy/">SLA targets',
        'href="/admin/alienportal/auditentry/">Audit log',
    ):
        assert link in page, link
    assert "<strong>Managers</strong>" in page


def test_support_s_home_leaves_out_what_support_may_not_use(support: User) -> None:
    client = portal_client(support)
    page = _home(client)
    for link in (
        'href="/admin/game_sessions/gamesession/"',
        'href="/reports/dashboards/live/"',
        'href="/reports/dashboards/health/"',
        'href="/api/docs/"',
        'href="/admin/support/ticket/"',
    ):
        assert link in page, link
    for hidden in ("Open a session", "/reports/dashboards/cost/", "SLA targets", "Audit log"):
        assert hidden not in page, hidden
    # Every link on it opens for them.
    for path in ("/admin/game_sessions/gamesession/", "/reports/dashboards/live/", "/admin/support/ticket/"):
        assert client.get(path).status_code == 200, path


def test_a_local_superuser_s_home_has_every_portal_link() -> None:
    root = User.objects.create_superuser("root", "root@example.com", "pw-1")
    page = _home(portal_client(root))
    assert "Open a session" in page
    assert "Audit log" in page
    assert "local administrator" in page


def test_a_stranger_is_sent_to_sign_in_and_people_without_a_role_are_refused() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/oidc/authenticate/?next=%2F"

    for role, name in ((None, "nora-nobody"), (Role.PLAYERS, "pete-player")):
        user = UserFactory(username=name, roles=[role] if role else [])
        response = portal_client(user).get("/")
        page = response.content.decode()
        assert response.status_code == 403
        assert "No access to Alien Portal" in page
        assert name in page
        assert 'action="/oidc/logout/"' in page
        assert "Open a session" not in page


def test_a_403_is_a_page_in_the_portal_s_frame_with_a_way_back(support: User) -> None:
    response = portal_client(support).get("/admin/game_sessions/gamesession/add/")
    page = response.content.decode()
    assert response.status_code == 403
    assert '<div id="site-name"><a href="/">Alien Portal</a></div>' in page
    assert "sue-support" in page
    assert 'id="forbidden-home" href="/"' in page or 'href="/" id="forbidden-home"' in page
    assert 'action="/oidc/logout/"' in page


def test_a_403_logs_one_line_and_no_traceback(support: User, caplog: pytest.LogCaptureFixture) -> None:
    client = portal_client(support)
    with caplog.at_level(logging.INFO):
        assert client.get("/admin/game_sessions/gamesession/add/").status_code == 403
    refused = [record for record in caplog.records if record.name == "django.request"]
    assert len(refused) == 1
    assert refused[0].levelno == logging.WARNING
    assert refused[0].exc_info is None
    assert refused[0].exc_text is None
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


def test_django_s_own_console_handler_does_not_write_every_line_a_second_time() -> None:
    # Under DEBUG Django's default "django" console handler wrote each line (tracebacks too) beside the root's.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


MOMENT = datetime(2026, 11, 27, 17, 12, 56, 743136, tzinfo=UTC)


def test_when_shows_the_viewer_s_zone_in_one_format_with_iso_on_hover() -> None:
    assert when_html(MOMENT) == (
        '<time datetime="2026-11-27T17:12:56.743Z" title="2026-11-27T17:12:56.743Z">Nov 27, 2026, 17:12:56 UTC</time>'
    )
    with timezone.override("Europe/Paris"):
        assert ">Nov 27, 2026, 18:12:56 CET</time>" in when_html(MOMENT)
    with timezone.override("America/New_York"):
        assert 'datetime="2026-11-27T17:12:56.743Z"' in when_html(MOMENT)  # the ISO form is always UTC
        assert ">Nov 27, 2026, 12:12:56 EST</time>" in when_html(MOMENT)
    assert when_html(None) == "—"
    assert when_html(None, empty="never") == "never"


def test_pages_use_the_zone_the_browser_reported(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    local = timezone.localtime(session.opening_time, timezone=timezone.get_default_timezone())
    client = portal_client(manager)
    path = f"/admin/game_sessions/gamesession/{session.pk}/change/"

    client.cookies["portal_tz"] = "Asia%2FTokyo"  # what timezone.js writes (encodeURIComponent)
    tokyo = client.get(path).content.decode()
    assert " JST</time>" in tokyo
    client.cookies["portal_tz"] = "Not/A_Zone"
    fallback = client.get(path).content.decode()
    assert " JST</time>" not in fallback
    assert f"{local:%H:%M:%S} UTC</time>" in fallback
    assert "+00:00" not in fallback  # no raw datetime (the SSM line printed one)
    assert timezone.get_current_timezone_name() == "UTC"  # nothing leaked out of the request


def test_a_ticket_s_history_shows_what_the_desk_did(support: User, manager: User) -> None:
    from support.services import ticket_open, ticket_reply

    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    ticket = ticket_open(actor=support, nickname="ann", subject="Lost my seat", session=session)
    ticket_reply(actor=support, ticket=ticket, body="Freed it, play on.")

    response = portal_client(support).get(f"/admin/support/ticket/{ticket.pk}/history/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("ticket.reply") < page.index("ticket.open")  # newest first
    assert "sue-support" in page
    assert "2 entries" in page


def test_a_refused_form_is_a_403_in_the_frame_saying_nothing_changed(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    client = portal_client(manager)
    client.handler.enforce_csrf_checks = True

    response = client.post(f"/admin/game_sessions/gamesession/{session.pk}/close/", {"confirm": "yes"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Nothing was changed" in page
    assert '<div id="site-name"><a href="/">Alien Portal</a></div>' in page
    session.refresh_from_db()
    assert session.is_open


def test_apis_answer_in_the_server_s_zone_whatever_the_browser_s_cookie_says(manager: User) -> None:
    session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Zoned")
    client = portal_client(manager)
    plain = client.get("/api/v1/sessions/Zoned/").json()
    client.cookies["portal_tz"] = "Asia%2FTokyo"
    zoned = client.get("/api/v1/sessions/Zoned/").json()
    assert zoned["opening_time"] == plain["opening_time"]
    assert zoned["opening_time"].endswith("Z")
    assert zoned["as_of"].endswith("Z")
    assert " JST</time>" in client.get("/admin/game_sessions/gamesession/").content.decode()  # pages do follow it
