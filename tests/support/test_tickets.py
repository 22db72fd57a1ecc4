"""The ticket workflow: every move it allows, a refusal for every other, the thread and canned replies."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from alienportal.models import AuditEntry
from support.errors import Invalid, Refused
from support.models import CannedReply, MessageKind, Status, Ticket, TicketMessage
from support.services import (
    TRANSITIONS,
    canned_reply_render,
    ticket_assign,
    ticket_note,
    ticket_open,
    ticket_player_reply,
    ticket_reply,
    ticket_transition,
)
from support.services.canned import canned_body_check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALLOWED = {
    (Status.NEW, Status.OPEN),
    (Status.OPEN, Status.WAITING_ON_PLAYER),
    (Status.OPEN, Status.RESOLVED),
    (Status.WAITING_ON_PLAYER, Status.OPEN),
    (Status.WAITING_ON_PLAYER, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.OPEN),  # reopen
}
# How to bring a new ticket to each status through allowed moves only.
PATH = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.WAITING_ON_PLAYER: [Status.OPEN, Status.WAITING_ON_PLAYER],
    Status.RESOLVED: [Status.OPEN, Status.RESOLVED],
    Status.CLOSED: [Status.OPEN, Status.RESOLVED, Status.CLOSED],
}


def test_the_workflow_table_is_exactly_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


def _at(status: Status, ticket: Ticket, agent: User) -> Ticket:
    for step in PATH[status]:
        ticket = ticket_transition(actor=agent, ticket=ticket, to=step)
    return ticket


@pytest.mark.parametrize(("start", "to"), sorted(ALLOWED))
def test_every_allowed_move_happens_and_is_recorded(start: Status, to: Status, ticket: Ticket, agent: User) -> None:
    ticket = _at(start, ticket, agent)
    moved = ticket_transition(actor=agent, ticket=ticket, to=to, reason="checked the logs")

    moved.refresh_from_db()
    assert moved.status == to
    event = TicketMessage.objects.filter(ticket=moved, kind=MessageKind.EVENT).last()
    assert event is not None
    assert event.body == f"Status: {start.label} → {to.label}. checked the logs"
    entry = AuditEntry.objects.filter(action="ticket.transition", target_id=str(moved.pk)).first()
    assert entry is not None
    assert entry.before["status"] == start
    assert entry.after["status"] == to


@pytest.mark.parametrize(("start", "to"), [pair for pair in itertools.product(Status, Status) if pair not in ALLOWED])
def test_every_other_move_is_refused_and_changes_nothing(
    start: Status, to: Status, ticket: Ticket, agent: User
) -> None:
    ticket = _at(start, ticket, agent)
    entries = AuditEntry.objects.count()

    with pytest.raises(Refused) as refusal:
        ticket_transition(actor=agent, ticket=ticket, to=to)

    assert refusal.value.code == "TransitionRefused"
    assert f"cannot become {to.label.lower()}" in refusal.value.message
    ticket.refresh_from_db()
    assert ticket.status == start
    assert AuditEntry.objects.count() == entries


def test_resolving_stamps_the_time_and_reopening_clears_it(ticket: Ticket, agent: User) -> None:
    ticket = _at(Status.RESOLVED, ticket, agent)
    assert ticket.resolved_at is not None
    reopened = ticket_transition(actor=agent, ticket=ticket, to=Status.OPEN)
    assert reopened.resolved_at is None
    assert reopened.status == Status.OPEN
    closed = _at(Status.CLOSED, ticket_open(actor=agent, nickname="zoe", subject="again"), agent)
    assert closed.closed_at is not None


def test_a_reply_opens_a_new_ticket_and_counts_as_first_response(ticket: Ticket, agent: User) -> None:
    ticket_note(actor=agent, ticket=ticket, body="Looks like a dropped record")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == Status.NEW

    ticket_reply(actor=agent, ticket=ticket, body="We are looking into it", wait_on_player=True)

    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Status.WAITING_ON_PLAYER
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.NOTE, MessageKind.REPLY]


def test_players_see_replies_and_their_own_messages_never_notes_or_events(ticket: Ticket, agent: User) -> None:
    ticket_note(actor=agent, ticket=ticket, body="INTERNAL: suspect a cheater")
    ticket_reply(actor=agent, ticket=ticket, body="Hello zoe", wait_on_player=True)
    ticket_player_reply(nickname="zoe", ticket=ticket, body="Still missing")

    visible = list(ticket.messages.visible_to_player().values_list("kind", "body"))
    assert visible == [(MessageKind.REPLY, "Hello zoe"), (MessageKind.PLAYER, "Still missing")]
    everything = ticket.messages.values_list("body", flat=True)
    assert "INTERNAL: suspect a cheater" in everything
    assert all(m.is_internal for m in ticket.messages.filter(kind__in=[MessageKind.NOTE, MessageKind.EVENT]))


def test_a_player_reply_hands_the_ticket_back_to_the_desk(ticket: Ticket, agent: User) -> None:
    ticket = _at(Status.WAITING_ON_PLAYER, ticket, agent)
    ticket_player_reply(nickname="zoe", ticket=ticket, body="Here is a screenshot")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    ticket = _at(Status.RESOLVED, ticket_open(actor=agent, nickname="zoe", subject="other"), agent)
    ticket_player_reply(nickname="zoe", ticket=ticket, body="Not fixed")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None


def test_closed_tickets_take_no_replies_but_notes(ticket: Ticket, agent: User) -> None:
    ticket = _at(Status.CLOSED, ticket, agent)
    with pytest.raises(Refused):
        ticket_reply(actor=agent, ticket=ticket, body="late")
    with pytest.raises(Refused):
        ticket_player_reply(nickname="zoe", ticket=ticket, body="late")
    ticket_note(actor=agent, ticket=ticket, body="closed as duplicate")
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1


def test_a_player_cannot_write_on_someone_elses_ticket(ticket: Ticket) -> None:
    with pytest.raises(Refused):
        ticket_player_reply(nickname="mallory", ticket=ticket, body="hi")
    assert ticket.messages.count() == 0


def test_empty_or_oversized_text_is_invalid(ticket: Ticket, agent: User) -> None:
    with pytest.raises(Invalid):
        ticket_reply(actor=agent, ticket=ticket, body="   ")
    with pytest.raises(Invalid):
        ticket_note(actor=agent, ticket=ticket, body="x" * 10_001)
    with pytest.raises(Invalid):
        ticket_open(actor=agent, nickname="zoe", subject="")
    with pytest.raises(Invalid):
        ticket_open(actor=agent, nickname="zoe", subject="s", category="NONSENSE")


def test_only_people_who_work_tickets_can_be_assigned(ticket: Ticket, agent: User, manager: User) -> None:
    player = UserFactory(username="pete", roles=[Role.PLAYERS])
    with pytest.raises(Invalid):
        ticket_assign(actor=manager, ticket=ticket, assignee=player)

    ticket_assign(actor=manager, ticket=ticket, assignee=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.messages.get(kind=MessageKind.EVENT).body == "Assigned to sam-support"
    entry = AuditEntry.objects.get(action="ticket.assign")
    assert entry.before["assignee"] is None
    assert entry.after["assignee"] == "sam-support"


def test_canned_replies_fill_in_the_ticket(ticket: Ticket, agent: User) -> None:
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    ticket.refresh_from_db()
    canned = CannedReply.objects.create(
        title="Score", body="Hi {nickname}, about {ticket} ({subject}, {category}): {assignee} is on it. {unknown}"
    )
    assert canned_reply_render(canned=canned, ticket=ticket) == (
        f"Hi zoe, about #{ticket.pk} (My score vanished, Score dispute): sam-support is on it. {{unknown}}"
    )
    with pytest.raises(Invalid) as bad:
        canned_body_check(body="Hi {nickname.__class__} {secret}")
    assert "{secret}" in bad.value.message


def test_for_user_gives_the_desk_everything_and_players_their_own(ticket: Ticket, agent: User, manager: User) -> None:
    other = ticket_open(actor=agent, nickname="max", subject="cannot play")
    zoe = UserFactory(username="zoe", roles=[Role.PLAYERS])
    nobody = UserFactory(username="nobody")

    assert set(Ticket.objects.for_user(agent)) == {ticket, other}
    assert set(Ticket.objects.for_user(manager)) == {ticket, other}
    assert list(Ticket.objects.for_user(zoe)) == [ticket]
    assert list(Ticket.objects.for_user(nobody)) == []
