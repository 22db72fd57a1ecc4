"""The "cheating suspected" queue: a player's cheat flags become one ticket with the evidence.

The drain stores flags in scoreboard (it knows nothing of tickets); this sweep, run by Celery beat
(`support.tasks.cheat_tickets_sweep`), takes up the flags no ticket holds yet.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from alienportal.audit import audit_record
from scoreboard.cheats import RULE_LABELS, Rule
from scoreboard.models import CheatFlag
from sessions.models import GameSession
from support.errors import Refused
from support.models import ACTIVE, Category, MessageKind, Priority, Source, Ticket, TicketFlag
from support.services.tickets import _locked, _message, _text, _user, ticket_open

logger = logging.getLogger(__name__)


def _evidence_text(flag: CheatFlag) -> str:
    label = RULE_LABELS.get(Rule(flag.rule), flag.rule) if flag.rule in Rule._value2member_map_ else flag.rule
    return f"Cheat flag {flag.rule} ({label}), seen {flag.hits} times: {json.dumps(flag.evidence, sort_keys=True)}"


def _needs_ticket(flag: CheatFlag, latest: TicketFlag | None) -> bool:
    if latest is None:
        return True
    # Fired again since its ticket was resolved or closed (and never dismissed): look again.
    return latest.ticket.status not in ACTIVE and flag.hits > latest.hits_seen


@transaction.atomic
def cheat_tickets_raise() -> list[Ticket]:
    """Put every undismissed flag no open ticket covers on its player's open "cheating suspected"
    ticket (one per player and session), opening one if needed; return the tickets that got flags."""
    # skip_locked: two sweeps at once take disjoint flags instead of waiting and doubling tickets.
    flags = list(
        CheatFlag.objects.select_for_update(skip_locked=True)
        .filter(dismissed_at__isnull=True)
        .order_by("session_id", "nickname", "pk")
    )
    latest: dict[int, TicketFlag] = {}
    for link in TicketFlag.objects.filter(flag__in=flags).select_related("ticket").order_by("linked_at", "pk"):
        latest[link.flag_id] = link
    groups: dict[tuple[int, str], list[CheatFlag]] = {}
    for flag in flags:
        if _needs_ticket(flag, latest.get(flag.pk)):
            groups.setdefault((flag.session_id, flag.nickname), []).append(flag)
    sessions = GameSession.objects.in_bulk([session_pk for session_pk, _ in groups])
    now = timezone.now()
    touched = []
    for (session_pk, nickname), items in groups.items():
        session = sessions[session_pk]
        ticket = (
            Ticket.objects.filter(
                category=Category.CHEATING_SUSPECTED, nickname=nickname, session=session, status__in=ACTIVE
            )
            .order_by("pk")
            .first()
        )
        rules = ", ".join(flag.rule for flag in items)
        if ticket is None:
            ticket = ticket_open(
                actor=None,
                nickname=nickname,
                session=session,
                subject=f"Cheating suspected: {nickname} in {session.session_id}",
                description=f"The pipeline flagged {nickname}'s snapshots: {rules}.",
                category=Category.CHEATING_SUSPECTED,
                priority=Priority.HIGH,
                source=Source.PIPELINE,
            )
        TicketFlag.objects.bulk_create(
            TicketFlag(ticket=ticket, flag=flag, hits_seen=flag.hits, linked_at=now) for flag in items
        )
        for flag in items:
            _message(ticket=ticket, kind=MessageKind.EVENT, actor=None, body=_evidence_text(flag), now=now)
        touched.append(ticket)
        logger.info("support.cheat_flags_taken ticket=%s nickname=%s rules=%s", ticket.pk, nickname, rules)
    return touched


@transaction.atomic
def ticket_flag_dismiss(*, actor: Any, ticket: Ticket, flag_pk: int, reason: str) -> CheatFlag:
    """Dismiss one of the ticket's flags: that rule stays quiet for that player and session."""
    reason = _text(reason, field="reason", limit=2000)
    ticket = _locked(ticket)
    link = TicketFlag.objects.filter(ticket=ticket, flag_id=flag_pk).first()
    if link is None:
        raise Refused("That flag is not on this ticket.", code="FlagNotOnTicket")
    flag = CheatFlag.objects.select_for_update().get(pk=flag_pk)
    if flag.dismissed_at is not None:
        raise Refused("That flag is already dismissed.", code="FlagDismissed")
    before = {"dismissed_at": None}
    now = timezone.now()
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "system"
    CheatFlag.objects.filter(pk=flag.pk).update(dismissed_at=now, dismissed_by=who, dismiss_reason=reason)
    flag.refresh_from_db()
    _message(
        ticket=ticket,
        kind=MessageKind.EVENT,
        actor=actor,
        body=f"Dismissed cheat flag {flag.rule}: quiet for {flag.nickname} in this session. Reason: {reason}",
        now=now,
    )
    audit_record(
        actor=_user(actor),
        action="cheat_flag.dismiss",
        target=flag,
        before=before,
        after={"dismissed_at": now.isoformat(), "reason": reason, "rule": flag.rule, "nickname": flag.nickname},
    )
    return flag
