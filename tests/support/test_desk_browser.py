"""Support works a player's ticket in Chromium: find it, read the trail, free the seat, reply, resolve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from alienportal.models import AuditEntry
from scoreboard.stream.persist import batch_persist
from sessions.models import GameType, Seat, SeatState
from sessions.services import seat_allocate
from support.models import MessageKind, Source, Status
from support.services import ticket_open
from tests.factories import BASE_TIME, GameSessionFactory, record
from tests.portal import portal_client

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-logs"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Any, live_server: Any, agent: User) -> Iterator[Any]:
    # Signed in as the provider would sign support in, carried over by the session cookie.
    client = portal_client(agent)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_support_finds_the_ticket_reads_the_trail_releases_the_seat_replies_and_resolves(
    page: Any, agent: User, fence: Any
) -> None:
    session = GameSessionFactory(
        session_id="X261127T093000", game_type=GameType.SINGLE_TRIAL, opening_time=BASE_TIME - timedelta(minutes=30)
    )
    seat_allocate(nickname="zoe")
    batch_persist(
        fence=fence,
        records=[
            record(1, session_id=session.session_id, nickname="zoe", score=50, shots=12, seconds=0),
            record(2, session_id=session.session_id, nickname="zoe", score=120, shots=30, seconds=40),
            record(3, session_id=session.session_id, nickname="zoe", score=90, shots=31, seconds=41),
            record(4, session_id=session.session_id, nickname="max", score=300, seconds=5),
        ],
    )
    ticket_open(actor=agent, nickname="max", subject="Unrelated question")
    ticket = ticket_open(
        actor=None, nickname="zoe", subject="My game froze", session=session, source=Source.PLAYER, description="stuck"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/admin/support/ticket/")
    page.locator("#searchbar").fill("zoe")
    page.locator("#changelist-search").get_by_role("button").click()
    page.get_by_role("link", name="My game froze").click()

    page.locator("#trail-heading").get_by_text("1 anomaly").wait_for()
    assert page.locator("#story-trail tr.anomaly").count() == 1
    assert "goes backwards" in page.locator("#story-trail tr.anomaly").inner_text()
    page.screenshot(path=str(SHOTS / "support-ticket-trail.png"), full_page=True)

    page.locator("form.seat-release input[name=reason]").fill("the game froze")
    page.get_by_role("button", name="Release seat").click()
    page.get_by_text("Seat released.").wait_for()

    page.locator("#reply-form textarea").fill("Your seat is free again, zoe: you can play.")
    page.get_by_role("button", name="Send reply to zoe").click()
    page.get_by_text("Reply sent to the player.").wait_for()
    page.locator("#note-form textarea").fill("Seat was stuck after a freeze.")
    page.get_by_role("button", name="Add internal note").click()
    page.get_by_text("Internal note added").wait_for()

    page.get_by_role("button", name="Resolved").click()
    page.get_by_text("Status changed.").wait_for()
    assert page.locator("#ticket-status").inner_text() == "Resolved"
    page.screenshot(path=str(SHOTS / "support-ticket-resolved.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.first_response_at is not None
    assert Seat.objects.get(session=session, nickname="zoe").state == SeatState.FINISHED
    assert list(ticket.messages.visible_to_player().values_list("body", flat=True)) == [
        "Your seat is free again, zoe: you can play."
    ]
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1
    assert AuditEntry.objects.filter(action="seat.release", actor=agent).exists()
    assert ticket.resolved_at is not None
    assert ticket.resolved_at <= timezone.now()
