"""SLA clocks as time passes (time frozen and moved by hand): due times, pauses, breaches, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from support.models import Priority, SlaPolicy, Status, Ticket
from support.selectors import Clock, SavedView, desk_summary, ticket_sla, tickets_view
from support.services import ticket_assign, ticket_note, ticket_open, ticket_player_reply, ticket_reply, ticket_update
from support.services import ticket_transition as move

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
# HIGH: first response 2 h, resolution 24 h (settings defaults).
SLA = {"HIGH": (120, 24 * 60), "NORMAL": (480, 72 * 60), "URGENT": (30, 240), "LOW": (1440, 10080)}


@pytest.fixture(autouse=True)
def targets(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SUPPORT_SLA_MINUTES = SLA
    settings.SUPPORT_SLA_DUE_SOON_MINUTES = 60


def _open(agent: User, priority: str = Priority.HIGH) -> Ticket:
    return ticket_open(actor=agent, nickname="zoe", subject="score", priority=priority)


def test_due_times_come_from_the_priority(agent: User) -> None:
    with time_machine.travel(T0, tick=False):
        ticket = _open(agent)
        urgent = _open(agent, Priority.URGENT)
    assert ticket.first_response_due_at == T0 + 2 * HOUR
    assert ticket.resolution_due_at == T0 + 24 * HOUR
    assert urgent.first_response_due_at == T0 + timedelta(minutes=30)


def test_a_managers_policy_overrides_the_settings_and_a_priority_change_recomputes(agent: User) -> None:
    SlaPolicy.objects.create(priority=Priority.LOW, first_response_minutes=60, resolution_minutes=600)
    with time_machine.travel(T0, tick=False):
        ticket = _open(agent, Priority.HIGH)
    with time_machine.travel(T0 + HOUR, tick=False):
        ticket = ticket_update(
            actor=agent, ticket=ticket, subject="s", description="", category="OTHER", priority=Priority.LOW
        )
    assert ticket.first_response_due_at == T0 + HOUR
    assert ticket.resolution_due_at == T0 + 10 * HOUR


def test_first_response_counts_replies_not_notes(agent: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = _open(agent)
        clock.move_to(T0 + HOUR)
        ticket_note(actor=agent, ticket=ticket, body="internal only")
        clock.move_to(T0 + 2 * HOUR + timedelta(seconds=1))
        ticket.refresh_from_db()
        assert ticket_sla(ticket=ticket).first_response == Clock.BREACHED
        assert list(Ticket.objects.breaching(now=T0 + 3 * HOUR)) == [ticket]

        ticket_reply(actor=agent, ticket=ticket, body="on it")
        ticket.refresh_from_db()
        assert ticket.first_response_at == T0 + 2 * HOUR + timedelta(seconds=1)
        assert ticket_sla(ticket=ticket).first_response == Clock.MISSED


def test_the_clock_pauses_while_waiting_on_the_player(agent: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = _open(agent)
        clock.move_to(T0 + HOUR)
        ticket_reply(actor=agent, ticket=ticket, body="send a screenshot", wait_on_player=True)
        ticket.refresh_from_db()
        assert ticket_sla(ticket=ticket).first_response == Clock.MET

        # 29 hours waiting on the player: far past the 24 h target, yet nothing breaches.
        clock.move_to(T0 + 30 * HOUR)
        ticket.refresh_from_db()
        assert ticket_sla(ticket=ticket).resolution == Clock.PAUSED
        assert not Ticket.objects.breaching(now=T0 + 30 * HOUR).exists()

        ticket_player_reply(nickname="zoe", ticket=ticket, body="here")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert ticket.resolution_due_at == T0 + (24 + 29) * HOUR
        assert ticket.paused_seconds == 29 * 3600

        clock.move_to(T0 + (24 + 29) * HOUR - timedelta(minutes=30))
        assert ticket_sla(ticket=ticket).resolution == Clock.DUE_SOON
        clock.move_to(T0 + (24 + 29) * HOUR - timedelta(minutes=90))
        assert ticket_sla(ticket=ticket).resolution == Clock.ON_TIME
        clock.move_to(T0 + (24 + 29) * HOUR + timedelta(seconds=1))
        assert ticket_sla(ticket=ticket).resolution == Clock.BREACHED
        assert list(Ticket.objects.breaching(now=T0 + 54 * HOUR)) == [ticket]


def test_a_first_reply_during_a_pause_does_not_count_the_pause(agent: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = move(actor=agent, ticket=_open(agent), to=Status.OPEN)
        ticket = move(actor=agent, ticket=ticket, to=Status.WAITING_ON_PLAYER)
        clock.move_to(T0 + 5 * HOUR)  # past the 2 h first-response target, but paused since T0
        ticket_reply(actor=agent, ticket=ticket, body="hello")
        ticket.refresh_from_db()
        assert ticket_sla(ticket=ticket).first_response == Clock.MET


def test_resolving_in_time_meets_the_sla_and_late_misses_it(agent: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        early = _open(agent)
        late = _open(agent)
        clock.move_to(T0 + HOUR)
        for ticket in (early, late):
            ticket_reply(actor=agent, ticket=ticket, body="hi")
        early = move(actor=agent, ticket=early, to=Status.RESOLVED)
        clock.move_to(T0 + 25 * HOUR)
        late = move(actor=agent, ticket=late, to=Status.RESOLVED)
    assert ticket_sla(ticket=early, now=T0 + 30 * HOUR).resolution == Clock.MET
    assert ticket_sla(ticket=late, now=T0 + 30 * HOUR).resolution == Clock.MISSED


def test_saved_views(agent: User, manager: User) -> None:
    with time_machine.travel(T0, tick=False):
        mine = _open(agent)
        ticket_assign(actor=agent, ticket=mine, assignee=agent)
        theirs = _open(agent, Priority.LOW)
        ticket_assign(actor=agent, ticket=theirs, assignee=manager)
        unassigned = _open(agent, Priority.NORMAL)
        done = move(actor=agent, ticket=move(actor=agent, ticket=_open(agent), to=Status.OPEN), to=Status.RESOLVED)
    now = T0 + 3 * HOUR  # HIGH first response (2 h) breached; NORMAL (8 h) and LOW not yet
    everything = Ticket.objects.all()

    def view(name: SavedView, user: User = agent) -> set[Ticket]:
        return set(tickets_view(queryset=everything, view=name, user=user, now=now))

    assert view(SavedView.MINE) == {mine}
    assert view(SavedView.MINE, manager) == {theirs}
    assert view(SavedView.UNASSIGNED) == {unassigned}
    assert view(SavedView.BREACHING) == {mine}
    assert done not in view(SavedView.BREACHING)
    assert view(SavedView.DUE_SOON) == set()
    assert tickets_view(queryset=everything, view=SavedView.DUE_SOON, user=agent, now=T0 + 7.5 * HOUR).get() == (
        unassigned
    )


def test_desk_summary(agent: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        fast, slow, _idle, late = (_open(agent) for _ in range(4))
        clock.move_to(T0 + HOUR)
        ticket_reply(actor=agent, ticket=fast, body="hi")
        move(actor=agent, ticket=fast, to=Status.RESOLVED)
        clock.move_to(T0 + 3 * HOUR)
        ticket_reply(actor=agent, ticket=slow, body="hi")
        ticket_reply(actor=agent, ticket=late, body="hi")
        clock.move_to(T0 + 4 * HOUR)
        move(actor=agent, ticket=slow, to=Status.RESOLVED)

    summary = desk_summary(now=T0 + 5 * HOUR)
    assert summary.open == 2  # idle, late
    assert summary.overdue == 1  # idle: no reply after 2 h
    assert summary.due_today == 0  # late's resolution is due tomorrow 08:00
    assert summary.median_first_response == 3 * HOUR  # 1 h, 3 h, 3 h
    # settled: fast (met), slow (first response missed), idle (breaching)
    assert summary.settled == 3
    assert summary.within_sla_share == pytest.approx(1 / 3)
    with time_machine.travel(T0 + 5 * HOUR, tick=False):
        _open(agent, Priority.URGENT)  # first response due 13:30 today
    assert desk_summary(now=T0 + 5 * HOUR).due_today == 1
    assert desk_summary(now=T0 + 5 * HOUR).open == 3
