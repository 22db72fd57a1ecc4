"""Actions that fix things for the ticket's player: each takes a reason, is audited and told on the ticket.

Each calls the owning app's service (which audits its own change) and records on the ticket
what was done and why, in the same transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from alienportal.audit import audit_record
from scoreboard.selectors.players import player_dead_letters
from scoreboard.services import dead_letters_replay, standing_visibility_set
from sessions.models import GameSession
from sessions.services import SessionError, seat_extra_game_grant, seat_extra_game_revoke, seat_release
from support.errors import Refused
from support.models import MessageKind, Ticket
from support.services.tickets import BODY_MAX, _locked, _message, _text, _user

logger = logging.getLogger(__name__)


def _record(*, actor: Any, ticket: Ticket, action: str, reason: str, told: str, details: dict[str, Any]) -> None:
    now = timezone.now()
    _message(ticket=ticket, kind=MessageKind.EVENT, actor=actor, body=f"{told} Reason: {reason}", now=now)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    audit_record(
        actor=_user(actor),
        action=f"ticket.{action}",
        target=ticket,
        before=None,
        after={"nickname": ticket.nickname, "reason": reason, **details},
    )
    logger.info("support.action ticket=%s action=%s nickname=%s", ticket.pk, action, ticket.nickname)


def _reason(reason: str) -> str:
    return _text(reason, field="reason", limit=BODY_MAX)


@transaction.atomic
def ticket_seat_release(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> None:
    """Free the seat the ticket's player holds in `session` (e.g. their game crashed)."""
    reason = _reason(reason)
    ticket = _locked(ticket)
    if not seat_release(actor=_user(actor), session=session, nickname=ticket.nickname):
        raise Refused(f"{ticket.nickname} holds no seat in {session.session_id}.", code="NoSeatHeld")
    _record(
        actor=actor,
        ticket=ticket,
        action="seat_release",
        reason=reason,
        told=f"Released {ticket.nickname}'s seat in {session.session_id}.",
        details={"session": session.session_id},
    )


@transaction.atomic
def ticket_extra_game_grant(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> None:
    """Let the player play a one-game session once more."""
    reason = _reason(reason)
    ticket = _locked(ticket)
    try:
        seat_extra_game_grant(actor=_user(actor), session=session, nickname=ticket.nickname, reason=reason)
    except SessionError as exc:
        raise Refused(str(exc), code="ExtraGameRefused") from exc
    _record(
        actor=actor,
        ticket=ticket,
        action="extra_game_grant",
        reason=reason,
        told=f"{ticket.nickname} may play {session.session_id} once more.",
        details={"session": session.session_id},
    )


@transaction.atomic
def ticket_extra_game_revoke(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> None:
    """Take back an extra game the player has not used yet."""
    reason = _reason(reason)
    ticket = _locked(ticket)
    try:
        seat_extra_game_revoke(actor=_user(actor), session=session, nickname=ticket.nickname, reason=reason)
    except SessionError as exc:
        raise Refused(str(exc), code="ExtraGameRefused") from exc
    _record(
        actor=actor,
        ticket=ticket,
        action="extra_game_revoke",
        reason=reason,
        told=f"Took back {ticket.nickname}'s extra game in {session.session_id}.",
        details={"session": session.session_id},
    )


@transaction.atomic
def ticket_dead_letters_replay(*, actor: Any, ticket: Ticket, reason: str) -> tuple[int, int]:
    """Replay the player's dead letters not yet replayed (once their cause is fixed); return (replayed, still dead)."""
    reason = _reason(reason)
    ticket = _locked(ticket)
    pending = [letter.pk for letter in player_dead_letters(nickname=ticket.nickname) if letter.replayed_at is None]
    if not pending:
        raise Refused(f"No dead letter of {ticket.nickname} waits for a replay.", code="NothingToReplay")
    summary = dead_letters_replay(actor=actor, pks=pending)
    still = ", ".join(f"{name}: {count}" for name, count in sorted(summary.reasons.items()))
    _record(
        actor=actor,
        ticket=ticket,
        action="dead_letters_replay",
        reason=reason,
        told=f"Replayed {summary.replayed} of {summary.examined} dead letters"
        + (f" ({summary.still_dead} still refused: {still})." if summary.still_dead else "."),
        details={"dead_letters": pending, "replayed": summary.replayed, "still_dead": summary.still_dead},
    )
    return summary.replayed, summary.still_dead


@transaction.atomic
def ticket_standing_hide(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> None:
    """Hide the player's standing in `session` from rankings (the data stays)."""
    _standing_visibility(actor=actor, ticket=ticket, session=session, reason=reason, hidden=True)


@transaction.atomic
def ticket_standing_show(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> None:
    """Show the player's hidden standing in `session` in rankings again."""
    _standing_visibility(actor=actor, ticket=ticket, session=session, reason=reason, hidden=False)


def _standing_visibility(*, actor: Any, ticket: Ticket, session: GameSession, reason: str, hidden: bool) -> None:
    reason = _reason(reason)
    ticket = _locked(ticket)
    standing_visibility_set(actor=_user(actor), session=session, nickname=ticket.nickname, hidden=hidden, reason=reason)
    verb = "Hid" if hidden else "Showed"
    _record(
        actor=actor,
        ticket=ticket,
        action="standing_hide" if hidden else "standing_show",
        reason=reason,
        told=f"{verb} {ticket.nickname}'s standing in {session.session_id} {'from' if hidden else 'in'} the rankings.",
        details={"session": session.session_id},
    )
