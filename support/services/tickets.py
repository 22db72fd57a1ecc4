"""Tickets: opening, the status workflow, the thread (replies, player messages, notes), assignment.

Every write locks the ticket row first, so two people working one ticket apply their changes
one after the other, and writes its audit entry in the same transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from alienportal.audit import audit_record
from sessions.identifiers import NICKNAME_MAX_CHARS
from sessions.models import GameSession
from support.access import may_work_tickets
from support.errors import Invalid, Refused
from support.models import Category, MessageKind, Priority, Source, Status, Ticket, TicketMessage
from support.services.sla import sla_clock_follow, sla_due_times_set

logger = logging.getLogger(__name__)

# The workflow: every move not listed here is refused. Closed is final (the player opens a new
# ticket); a resolved ticket may be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN}),
    Status.OPEN: frozenset({Status.WAITING_ON_PLAYER, Status.RESOLVED}),
    Status.WAITING_ON_PLAYER: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset(),
}

SUBJECT_MAX = 200
BODY_MAX = 10_000


def _name(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return str(actor.get_username() if hasattr(actor, "get_username") else actor.username)


def _user(actor: Any) -> Any:
    # Token callers are not database users: keep their name only.
    return actor if getattr(actor, "pk", None) is not None else None


def _state(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "assignee": ticket.assignee.get_username() if ticket.assignee is not None else None,
    }


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("assignee", "session").get(pk=ticket.pk)


def _text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"The {field} is empty.", code="Empty")
    if len(value) > limit:
        raise Invalid(f"The {field} is longer than {limit} characters.", code="TooLong")
    return value


def _message(*, ticket: Ticket, kind: str, actor: Any, body: str, now: Any) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket, kind=kind, author=_user(actor), author_name=_name(actor), body=body, created_at=now
    )


def _move(*, ticket: Ticket, to: str, now: Any) -> str:
    """Apply a status move the workflow allows to the locked ticket (not saved); return the old status."""
    if to not in TRANSITIONS.get(ticket.status, frozenset()):
        raise Refused(
            f"A ticket that is {Status(ticket.status).label.lower()} cannot become {Status(to).label.lower()}.",
            code="TransitionRefused",
        )
    old = ticket.status
    sla_clock_follow(ticket=ticket, new_status=to, now=now)
    ticket.status = to
    if to == Status.RESOLVED:
        ticket.resolved_at = now
    elif to == Status.CLOSED:
        ticket.closed_at = now
    elif to == Status.OPEN and old == Status.RESOLVED:
        ticket.resolved_at = None
    return old


@transaction.atomic
def ticket_open(
    *,
    actor: Any,
    nickname: str,
    subject: str,
    description: str = "",
    category: str = Category.OTHER,
    priority: str = Priority.NORMAL,
    session: GameSession | None = None,
    source: str = Source.PORTAL,
    assignee: Any = None,
) -> Ticket:
    """Open a ticket about a player (and optionally a session); its SLA clocks start now."""
    nickname = _text(nickname, field="nickname", limit=NICKNAME_MAX_CHARS)
    if category not in Category.values:
        raise Invalid(f"Unknown category {category!r}.", code="UnknownCategory")
    if priority not in Priority.values:
        raise Invalid(f"Unknown priority {priority!r}.", code="UnknownPriority")
    if assignee is not None and not may_work_tickets(assignee):
        raise Invalid(f"{assignee.get_username()} does not work tickets.", code="NotSupportStaff")
    now = timezone.now()
    ticket = Ticket(
        nickname=nickname,
        session=session,
        subject=_text(subject, field="subject", limit=SUBJECT_MAX),
        description=_text(description, field="description", limit=BODY_MAX, required=False),
        category=category,
        priority=priority,
        source=source,
        assignee=assignee,
        opened_by=_name(actor),
        created_at=now,
        updated_at=now,
    )
    sla_due_times_set(ticket=ticket)
    ticket.save()
    audit_record(actor=_user(actor), action="ticket.open", target=ticket, before=None, after=_state(ticket))
    logger.info("support.ticket_opened ticket=%s nickname=%s source=%s", ticket.pk, nickname, source)
    return ticket


@transaction.atomic
def ticket_transition(*, actor: Any, ticket: Ticket, to: str, reason: str = "") -> Ticket:
    """Move the ticket to status `to` if the workflow allows it; refuse (Refused) otherwise."""
    ticket = _locked(ticket)
    before = _state(ticket)
    now = timezone.now()
    old = _move(ticket=ticket, to=to, now=now)
    ticket.updated_at = now
    ticket.save()
    reason = _text(reason, field="reason", limit=BODY_MAX, required=False)
    body = f"Status: {Status(old).label} → {Status(to).label}" + (f". {reason}" if reason else "")
    _message(ticket=ticket, kind=MessageKind.EVENT, actor=actor, body=body, now=now)
    audit_record(actor=_user(actor), action="ticket.transition", target=ticket, before=before, after=_state(ticket))
    logger.info("support.ticket_moved ticket=%s from=%s to=%s", ticket.pk, old, to)
    return ticket


@transaction.atomic
def ticket_reply(*, actor: Any, ticket: Ticket, body: str, wait_on_player: bool = False) -> TicketMessage:
    """Answer the player (they see it); the first reply stops the first-response clock.

    A reply to a new ticket opens it; `wait_on_player` then hands the ticket to the player.
    """
    ticket = _locked(ticket)
    body = _text(body, field="reply", limit=BODY_MAX)
    if ticket.status == Status.CLOSED:
        raise Refused("The ticket is closed: no more replies.", code="TicketClosed")
    now = timezone.now()
    before = _state(ticket)
    if ticket.status == Status.NEW:
        _move(ticket=ticket, to=Status.OPEN, now=now)
    if ticket.first_response_at is None:
        if ticket.paused_since is not None:
            # Answered while the clock is paused: the pause so far does not count against us.
            ticket.first_response_due_at += now - ticket.paused_since
        ticket.first_response_at = now
    message = _message(ticket=ticket, kind=MessageKind.REPLY, actor=actor, body=body, now=now)
    if wait_on_player and ticket.status != Status.WAITING_ON_PLAYER:
        _move(ticket=ticket, to=Status.WAITING_ON_PLAYER, now=now)
    ticket.updated_at = now
    ticket.save()
    audit_record(actor=_user(actor), action="ticket.reply", target=ticket, before=before, after=_state(ticket))
    return message


@transaction.atomic
def ticket_note(*, actor: Any, ticket: Ticket, body: str) -> TicketMessage:
    """Add an internal note: the desk sees it, the player never does; no SLA clock moves."""
    ticket = _locked(ticket)
    now = timezone.now()
    message = _message(
        ticket=ticket, kind=MessageKind.NOTE, actor=actor, body=_text(body, field="note", limit=BODY_MAX), now=now
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    return message


@transaction.atomic
def ticket_player_reply(*, nickname: str, ticket: Ticket, body: str) -> TicketMessage:
    """Add the player's message; a ticket waiting on them or resolved goes back to the desk."""
    ticket = _locked(ticket)
    if ticket.nickname != nickname:
        # Callers filter with Ticket.objects.for_user first; this is the last line of defence.
        raise Refused("This is not your ticket.", code="NotYourTicket")
    body = _text(body, field="message", limit=BODY_MAX)
    if ticket.status == Status.CLOSED:
        raise Refused("The ticket is closed: open a new one.", code="TicketClosed")
    now = timezone.now()
    if ticket.status in (Status.WAITING_ON_PLAYER, Status.RESOLVED):
        old = _move(ticket=ticket, to=Status.OPEN, now=now)
        _message(
            ticket=ticket,
            kind=MessageKind.EVENT,
            actor=None,
            body=f"Status: {Status(old).label} → Open (the player wrote)",
            now=now,
        )
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.PLAYER, author=None, author_name=nickname, body=body, created_at=now
    )
    ticket.updated_at = now
    ticket.save()
    return message


@transaction.atomic
def ticket_assign(*, actor: Any, ticket: Ticket, assignee: Any) -> Ticket:
    """Give the ticket to `assignee` (someone who works tickets), or to nobody with None."""
    ticket = _locked(ticket)
    if assignee is not None and not may_work_tickets(assignee):
        raise Invalid(f"{assignee.get_username()} does not work tickets.", code="NotSupportStaff")
    before = _state(ticket)
    now = timezone.now()
    ticket.assignee = assignee
    ticket.updated_at = now
    ticket.save()
    who = assignee.get_username() if assignee is not None else "nobody"
    _message(ticket=ticket, kind=MessageKind.EVENT, actor=actor, body=f"Assigned to {who}", now=now)
    audit_record(actor=_user(actor), action="ticket.assign", target=ticket, before=before, after=_state(ticket))
    return ticket


@transaction.atomic
def ticket_update(
    *, actor: Any, ticket: Ticket, subject: str, description: str, category: str, priority: str
) -> Ticket:
    """Change what the ticket is about; a new priority recomputes both due times from the opening."""
    ticket = _locked(ticket)
    if category not in Category.values:
        raise Invalid(f"Unknown category {category!r}.", code="UnknownCategory")
    if priority not in Priority.values:
        raise Invalid(f"Unknown priority {priority!r}.", code="UnknownPriority")
    before = _state(ticket)
    ticket.subject = _text(subject, field="subject", limit=SUBJECT_MAX)
    ticket.description = _text(description, field="description", limit=BODY_MAX, required=False)
    ticket.category = category
    if priority != ticket.priority:
        ticket.priority = priority
        sla_due_times_set(ticket=ticket)
    ticket.updated_at = timezone.now()
    ticket.save()
    audit_record(actor=_user(actor), action="ticket.update", target=ticket, before=before, after=_state(ticket))
    return ticket
