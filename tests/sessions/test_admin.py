"""Managers' screens: open, start and close a session, the seat map, SSM state; every action audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from alienportal.access import Role
from alienportal.models import AuditEntry
from sessions import top_x
from sessions.models import GameSession, GameType, SeatState, SessionPublication
from sessions.services import seat_allocate, seat_release, seats_release_finished, session_open
from sessions.top_x import top_x_provider_register
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/game_sessions/gamesession/"


@pytest.fixture
def manager_browser(manager: User) -> Client:
    return portal_client(manager)


@pytest.fixture
def support(db: None) -> User:
    return UserFactory(username="sue-support", roles=[Role.SUPPORT])


@pytest.fixture
def top_x_provider() -> Iterator[None]:
    previous = top_x.top_x_provider_current()
    top_x_provider_register(
        lambda session, limit: [
            {"Nickname": "ace", "Score": 900, "Lives": 3, "Shots": 10},
            {"Nickname": "bee", "Score": 500, "Lives": 1, "Shots": 40},
        ][:limit]
    )
    yield
    top_x_provider_register(previous)


@pytest.fixture
def no_top_x_provider() -> Iterator[None]:
    previous = top_x.top_x_provider_current()
    top_x_provider_register(None)
    yield
    top_x_provider_register(previous)


def test_a_manager_opens_starts_and_closes_a_session_from_the_admin(manager_browser: Client, manager: User) -> None:
    index = manager_browser.get("/admin/").content.decode()
    assert CHANGELIST in index
    assert "/admin/alienportal/auditentry/" in index
    form = manager_browser.get(f"{CHANGELIST}add/")
    assert form.status_code == 200
    for game_type in GameType.values:
        assert f'value="{game_type}"' in form.content.decode()

    response = manager_browser.post(
        f"{CHANGELIST}add/",
        {"game_type": "TIME_CONSTRAINED", "minutes": "10", "synchronized": "on", "total_seats": "80", "top_x": "5"},
    )
    session = GameSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{session.pk}/change/"
    assert (session.game_type, session.time_limit_minutes, session.synchronized) == ("TIME_CONSTRAINED", 10, True)
    assert (session.total_seats, session.top_x) == (80, 5)

    page = manager_browser.get(response["Location"]).content.decode()
    assert 'id="session-start"' in page
    assert 'id="session-close"' in page

    manager_browser.post(f"{CHANGELIST}{session.pk}/start/")
    session.refresh_from_db()
    assert session.synchronize_time is not None
    manager_browser.post(f"{CHANGELIST}{session.pk}/close/", {"confirm": "yes"})
    session.refresh_from_db()
    assert session.closing_time is not None

    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_name"))
    assert actions == [
        ("session.open", manager.username),
        ("session.start", manager.username),
        ("session.close", manager.username),
    ]


def test_the_open_form_explains_what_the_game_cannot_run(manager_browser: Client) -> None:
    response = manager_browser.post(
        f"{CHANGELIST}add/", {"game_type": "MULTIPLE_TRIALS", "synchronized": "on", "total_seats": "150", "top_x": "10"}
    )
    assert response.status_code == 200
    assert "Only single-trial and time-constrained sessions can be synchronized." in response.content.decode()
    assert not GameSession.objects.exists()
    assert not AuditEntry.objects.exists()


def test_close_from_the_list_action_asks_first_and_is_audited(manager_browser: Client, manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    action = {"action": "close_sessions", "_selected_action": [session.pk]}
    asked = manager_browser.post(CHANGELIST, action)
    assert asked.status_code == 200
    assert f"Close session {session.session_id}?" in asked.content.decode()
    assert 'name="confirm" value="yes"' in asked.content.decode()
    session.refresh_from_db()
    assert session.is_open

    response = manager_browser.post(CHANGELIST, {**action, "confirm": "yes"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert not session.is_open
    assert AuditEntry.objects.filter(action="session.close", actor=manager).count() == 1


def test_the_session_page_shows_the_seat_map_top_x_and_ssm_state(
    manager_browser: Client, manager: User, top_x_provider: None
) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, total_seats=5, top_x=1)
    for name in ("ann", "bob", "cid"):
        seat_allocate(nickname=name)
    seats_release_finished(session=session, nicknames=["bob"])
    SessionPublication.objects.filter(pk=1).update(last_error="EndpointConnectionError: SSM unreachable")

    page = manager_browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert "<strong>2</strong> playing, <strong>3</strong> free of 5 seats; 1 finished." in page
    assert "Playing: ann, cid" in page
    assert "Finished: bob" in page
    assert "<td>ace</td><td>900</td>" in page
    assert "bee" not in page  # top X = 1
    assert "not up to date, retrying" in page
    assert "SSM unreachable" in page
    assert 'id="session-start"' not in page  # not synchronized

    changelist = manager_browser.get(CHANGELIST).content.decode()
    assert 'id="ssm-publication"' in changelist
    assert "SSM unreachable" in changelist


def test_without_standings_the_top_x_says_so(manager_browser: Client, manager: User, no_top_x_provider: None) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    page = manager_browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert "Standings are not available yet." in page


def test_support_may_release_seats_but_not_control_sessions(support: User, manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL)
    seat_allocate(nickname="stuck")
    browser = portal_client(support)

    assert browser.get(f"{CHANGELIST}add/").status_code == 403
    assert browser.post(f"{CHANGELIST}{session.pk}/close/", {"confirm": "yes"}).status_code == 403
    assert browser.get(f"{CHANGELIST}{session.pk}/close/").status_code == 403
    page = browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert 'id="session-close"' not in page
    session.refresh_from_db()
    assert session.is_open

    seat = session.seats.get()
    response = browser.post("/admin/game_sessions/seat/", {"action": "release_seats", "_selected_action": [seat.pk]})
    assert response.status_code == 302
    seat.refresh_from_db()
    session.refresh_from_db()
    assert (seat.state, session.occupied_seats) == (SeatState.FINISHED, 0)
    entry = AuditEntry.objects.get(action="seat.release")
    assert (entry.actor, entry.before["state"], entry.after["state"]) == (support, "PLAYING", "FINISHED")


def test_the_audit_log_is_readable_and_never_editable(manager_browser: Client, manager: User) -> None:
    session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Audited")
    entry = AuditEntry.objects.get()

    assert "Audited" in manager_browser.get("/admin/alienportal/auditentry/").content.decode()
    assert manager_browser.get(f"/admin/alienportal/auditentry/{entry.pk}/change/").status_code == 200
    assert manager_browser.get("/admin/alienportal/auditentry/add/").status_code == 403
    assert manager_browser.post(f"/admin/alienportal/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.count() == 1


def test_closing_from_the_session_page_asks_first(manager_browser: Client, manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Careful")
    seat_allocate(nickname="ann")
    page = manager_browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert f'href="{CHANGELIST}{session.pk}/close/" id="session-close"' in page

    for ask in (
        manager_browser.get(f"{CHANGELIST}{session.pk}/close/"),
        manager_browser.post(f"{CHANGELIST}{session.pk}/close/"),
    ):
        text = ask.content.decode()
        assert ask.status_code == 200
        assert "<title>Close session Careful? | Alien Portal</title>" in text
        assert "1 player playing now" in text
        assert f'href="{CHANGELIST}{session.pk}/change/" class="button cancel-link"' in text
    session.refresh_from_db()
    assert session.is_open
    assert not AuditEntry.objects.filter(action="session.close").exists()
    assert manager_browser.put(f"{CHANGELIST}{session.pk}/close/").status_code == 405

    done = manager_browser.post(f"{CHANGELIST}{session.pk}/close/", {"confirm": "yes"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert not session.is_open


def test_history_shows_the_audit_entries_of_the_session_and_its_seats(
    manager_browser: Client, manager: User, support: User
) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, session_id="Audited")
    seat_allocate(nickname="stuck")
    seat_release(actor=support, session=session, nickname="stuck")
    manager_browser.post(f"{CHANGELIST}{session.pk}/close/", {"confirm": "yes"})
    other = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Other")

    page = manager_browser.get(f"{CHANGELIST}{session.pk}/history/").content.decode()
    assert "change history" not in page  # Django's "doesn\u2019t have a change history"
    assert page.index("session.close") < page.index("seat.release") < page.index("session.open")  # newest first
    assert "sue-support" in page
    assert "mia-manager" in page
    assert "<strong>closing_time</strong>: — → <time datetime=" in page  # a moment, shown like every other
    assert "3 entries" in page
    assert "Other" not in page.split('id="audit-history"')[1]
    assert "1 entry" in manager_browser.get(f"{CHANGELIST}{other.pk}/history/").content.decode()
