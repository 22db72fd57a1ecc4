"""Actions that fix things for the ticket's player: each takes a reason, is audited and told on the ticket.

Each calls the owning app's service (which audits its own change) and records on the ticket
what was done and why, in the same transaction.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast

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

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Done(Generic[R]):
    """What an action did: told on the ticket, the audit entry's details, and what the caller gets back."""

    told: str
    details: dict[str, Any]
    result: R = None  # type: ignore[assignment]


def ticket_action(action: str) -> Callable[[Callable[P, Done[R]]], Callable[P, R]]:
    """Make `fix` a ticket action: reason checked, ticket locked, told on the ticket and audited, in one transaction."""

    def wrap(fix: Callable[P, Done[R]]) -> Callable[P, R]:
        @functools.wraps(fix)
        @transaction.atomic
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs["actor"]
            reason = kwargs["reason"] = _text(cast(str, kwargs["reason"]), field="reason", limit=BODY_MAX)
            ticket = kwargs["ticket"] = _locked(cast(Ticket, kwargs["ticket"]))
            done = fix(*args, **kwargs)
            now = timezone.now()
            _message(ticket=ticket, kind=MessageKind.EVENT, actor=actor, body=f"{done.told} Reason: {reason}", now=now)
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
            audit_record(
                actor=_user(actor),
                action=f"ticket.{action}",
                target=ticket,
                before=None,
                after={"nickname": ticket.nickname, "reason": reason, **done.details},
            )
            logger.info("support.action ticket=%s action=%s nickname=%s", ticket.pk, action, ticket.nickname)
            return done.result

        return run

    return wrap


@ticket_action("seat_release")
def ticket_seat_release(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> Done[None]:
    """Free the seat the ticket's player holds in `session` (e.g. their game crashed)."""
    if not seat_release(actor=_user(actor), session=session, nickname=ticket.nickname):
        raise Refused(f"{ticket.nickname} holds no seat in {session.session_id}.", code="NoSeatHeld")
    return Done(f"Released {ticket.nickname}'s seat in {session.session_id}.", {"session": session.session_id})


@ticket_action("extra_game_grant")
def ticket_extra_game_grant(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> Done[None]:
    """Let the player play a one-game session once more."""
    with _session_refusal():
        seat_extra_game_grant(actor=_user(actor), session=session, nickname=ticket.nickname, reason=reason)
    return Done(f"{ticket.nickname} may play {session.session_id} once more.", {"session": session.session_id})


@ticket_action("extra_game_revoke")
def ticket_extra_game_revoke(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> Done[None]:
    """Take back an extra game the player has not used yet."""
    with _session_refusal():
        seat_extra_game_revoke(actor=_user(actor), session=session, nickname=ticket.nickname, reason=reason)
    return Done(f"Took back {ticket.nickname}'s extra game in {session.session_id}.", {"session": session.session_id})


@contextmanager
def _session_refusal() -> Iterator[None]:
    try:
        yield
    except SessionError as exc:
        raise Refused(str(exc), code="ExtraGameRefused") from exc


@ticket_action("dead_letters_replay")
def ticket_dead_letters_replay(*, actor: Any, ticket: Ticket, reason: str) -> Done[tuple[int, int]]:
    """Replay the player's dead letters not yet replayed (once their cause is fixed); return (replayed, still dead)."""
    pending = [letter.pk for letter in player_dead_letters(nickname=ticket.nickname) if letter.replayed_at is None]
    if not pending:
        raise Refused(f"No dead letter of {ticket.nickname} waits for a replay.", code="NothingToReplay")
    summary = dead_letters_replay(actor=actor, pks=pending)
    still = ", ".join(f"{name}: {count}" for name, count in sorted(summary.reasons.items()))
    return Done(
        f"Replayed {summary.replayed} of {summary.examined} dead letters"
        + (f" ({summary.still_dead} still refused: {still})." if summary.still_dead else "."),
        {"dead_letters": pending, "replayed": summary.replayed, "still_dead": summary.still_dead},
        (summary.replayed, summary.still_dead),
    )


@ticket_action("standing_hide")
def ticket_standing_hide(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> Done[None]:
    """Hide the player's standing in `session` from rankings (the data stays)."""
    standing_visibility_set(actor=_user(actor), session=session, nickname=ticket.nickname, hidden=True, reason=reason)
    return Done(
        f"Hid {ticket.nickname}'s standing in {session.session_id} from the rankings.", {"session": session.session_id}
    )


@ticket_action("standing_show")
def ticket_standing_show(*, actor: Any, ticket: Ticket, session: GameSession, reason: str) -> Done[None]:
    """Show the player's hidden standing in `session` in rankings again."""
    standing_visibility_set(actor=_user(actor), session=session, nickname=ticket.nickname, hidden=False, reason=reason)
    return Done(
        f"Showed {ticket.nickname}'s standing in {session.session_id} in the rankings.", {"session": session.session_id}
    )
