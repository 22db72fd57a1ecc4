"""Seats: players take one to play, and give it back when their game ends.

Every seat change locks its session's row first (`select_for_update`), so the changes of one
session run one after another and `occupied_seats` always equals the number of PLAYING seats;
the check constraint on the table is the last line of defence against an over-full session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alienportal.audit import audit_record
from sessions.models import ONE_GAME_TYPES, GameSession, Seat, SeatState
from sessions.services.errors import SeatRefused, SessionError

logger = logging.getLogger(__name__)

NO_SESSION = "No session available."
SESSION_CLOSED = "Session is closed."
NO_SEATS = "No seats available."
KEEP_PLAYING = "Keep playing."


@dataclass(frozen=True)
class SeatOutcome:
    """What a seat request did, in the words the original game answered with."""

    message: str
    changed: bool


def _session_locked(*, session_id: str | None) -> GameSession:
    """Return the named session, or the current one, with its row locked; refuse when there is none."""
    sessions = GameSession.objects.select_for_update()
    session = sessions.current() if session_id is None else sessions.filter(session_id=session_id).first()
    if session is None:
        raise SeatRefused(NO_SESSION)
    return session


@transaction.atomic
def seat_allocate(*, session_id: str | None = None, nickname: str) -> SeatOutcome:
    """Give `nickname` a seat in the session (the current one unless `session_id` names one).

    Outcomes, as in the original game: already playing -> "Keep playing."; already played a
    one-game session -> GamerCannotPlay; full -> NoSeatsAvailable; closed or time up, or no
    session -> refused. Raises SeatRefused for every refusal.
    """
    session = _session_locked(session_id=session_id)
    now = timezone.now()
    if not session.accepts_players_at(now):
        raise SeatRefused(SESSION_CLOSED)
    seat = Seat.objects.of_session(session).of_player(nickname).first()
    if seat is not None and seat.state == SeatState.PLAYING:
        return SeatOutcome(KEEP_PLAYING, changed=False)
    if seat is not None and session.game_type in ONE_GAME_TYPES and seat.games_played > seat.extra_games:
        raise SeatRefused(f"Session is {session.game_type}. Gamer has already played.", code="GamerCannotPlay")
    if session.occupied_seats >= session.total_seats:
        raise SeatRefused(NO_SEATS, code="NoSeatsAvailable")
    if seat is None:
        Seat.objects.create(session=session, nickname=nickname, allocated_at=now)
    else:
        # MULTIPLE_TRIALS: a finished player comes back for another game.
        Seat.objects.filter(pk=seat.pk).update(
            state=SeatState.PLAYING, games_played=F("games_played") + 1, allocated_at=now, finished_at=None
        )
    GameSession.objects.filter(pk=session.pk).update(occupied_seats=F("occupied_seats") + 1)
    logger.info("seat.allocated session=%s nickname=%s", session.session_id, nickname)
    return SeatOutcome(f"Success allocating {nickname}", changed=True)


def _finish(*, session: GameSession, nicknames: list[str]) -> int:
    """Mark the PLAYING seats of `nicknames` finished and free them; the session row must be locked."""
    released = (
        Seat.objects.of_session(session)
        .playing()
        .filter(nickname__in=nicknames)
        .update(state=SeatState.FINISHED, finished_at=timezone.now())
    )
    if released:
        GameSession.objects.filter(pk=session.pk).update(occupied_seats=F("occupied_seats") - released)
    return released


@transaction.atomic
def seat_deallocate(*, session_id: str | None = None, nickname: str) -> SeatOutcome:
    """Free `nickname`'s seat because their game ended (the game's deallocate call); idempotent.

    The player counts as having played, so a one-game session will not seat them again.
    Works on a closed session too, as the original did: a game may end after the session.
    """
    session = _session_locked(session_id=session_id)
    if not _finish(session=session, nicknames=[nickname]):
        return SeatOutcome(f"User {nickname} not found in the list of playing gamers. Discarded.", changed=False)
    logger.info("seat.deallocated session=%s nickname=%s", session.session_id, nickname)
    return SeatOutcome(f"Success deallocating {nickname}", changed=True)


@transaction.atomic
def seats_release_finished(*, session: GameSession, nicknames: Iterable[str]) -> int:
    """Free the seats of players whose game ended (a snapshot with Lives == 0); return how many.

    Idempotent: a player already finished, or never seated, frees nothing, so a re-delivered
    Lives == 0 snapshot cannot free a seat twice. Callers releasing in several sessions in one
    transaction should call in session pk order, so concurrent callers lock rows in one order.
    """
    names = sorted(set(nicknames))
    if not names:
        return 0
    GameSession.objects.select_for_update().filter(pk=session.pk).first()
    return _finish(session=session, nicknames=names)


def _seat_state(seat: Seat | None) -> dict[str, Any] | None:
    if seat is None:
        return None
    return {
        "nickname": seat.nickname,
        "state": seat.state,
        "games_played": seat.games_played,
        "extra_games": seat.extra_games,
    }


@transaction.atomic
def seat_release(*, actor: Any, session: GameSession, nickname: str) -> bool:
    """Free a player's seat by hand (support or a manager, e.g. a crashed game); audited.

    Returns whether a seat was freed. Like a finished game, the player counts as having played.
    """
    GameSession.objects.select_for_update().filter(pk=session.pk).first()
    before = Seat.objects.of_session(session).of_player(nickname).first()
    released = _finish(session=session, nicknames=[nickname]) > 0
    if released:
        after = Seat.objects.of_session(session).of_player(nickname).get()
        audit_record(
            actor=actor, action="seat.release", target=after, before=_seat_state(before), after=_seat_state(after)
        )
    return released


def _finished_seat_locked(*, session: GameSession, nickname: str) -> Seat:
    GameSession.objects.select_for_update().filter(pk=session.pk).first()
    if session.game_type not in ONE_GAME_TYPES:
        raise SessionError(f"{session.session_id} is {session.game_type}: players may already play again.")
    seat = Seat.objects.select_for_update().filter(session=session, nickname=nickname).first()
    if seat is None:
        raise SessionError(f"{nickname} has no seat in {session.session_id}: nothing to grant.")
    if seat.state == SeatState.PLAYING:
        raise SessionError(f"{nickname} is playing in {session.session_id} right now.")
    return seat


@transaction.atomic
def seat_extra_game_grant(*, actor: Any, session: GameSession, nickname: str, reason: str) -> Seat:
    """Let a player who already played a one-game session play it once more; audited."""
    seat = _finished_seat_locked(session=session, nickname=nickname)
    before = _seat_state(seat)
    Seat.objects.filter(pk=seat.pk).update(extra_games=F("extra_games") + 1)
    seat.refresh_from_db()
    after = {**(_seat_state(seat) or {}), "reason": reason}
    audit_record(actor=actor, action="seat.extra_game_grant", target=seat, before=before, after=after)
    return seat


@transaction.atomic
def seat_extra_game_revoke(*, actor: Any, session: GameSession, nickname: str, reason: str) -> Seat:
    """Take back an extra game the player has not used yet; the seat is as it was before the grant."""
    seat = _finished_seat_locked(session=session, nickname=nickname)
    if seat.extra_games == 0:
        raise SessionError(f"{nickname} has no extra game in {session.session_id}.")
    if seat.games_played > seat.extra_games:
        # games_played counts the first game too: more games than extras means every extra is used.
        raise SessionError(f"{nickname} already played the extra game in {session.session_id}.")
    before = _seat_state(seat)
    Seat.objects.filter(pk=seat.pk).update(extra_games=F("extra_games") - 1)
    seat.refresh_from_db()
    after = {**(_seat_state(seat) or {}), "reason": reason}
    audit_record(actor=actor, action="seat.extra_game_revoke", target=seat, before=before, after=after)
    return seat
