"""A game session's life: a manager opens it, starts it (synchronized games), and closes it.

Every change here takes the publication row's lock first (see `publication_lock`), which makes
lifecycle changes one-at-a-time: they are rare, and it keeps each SSM value computed from the
state the previous change committed. Every change is audited and queues an SSM publish.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alienportal.audit import audit_record
from sessions.identifiers import SESSION_ID_RULE, session_id_is_valid
from sessions.live import session_start_announce
from sessions.models import ONE_GAME_TYPES, GameSession, GameType
from sessions.services.errors import SessionError
from sessions.services.publishing import publication_changed, publication_lock

logger = logging.getLogger(__name__)

# The original manager page accepted 1..30 minutes for a time-constrained session.
MINUTES_MIN, MINUTES_MAX = 1, 30


def _now() -> datetime:
    # Millisecond precision: the game reads times as JavaScript Date strings, so the database
    # keeps exactly what SSM says, and closing-time comparisons agree on both sides.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def session_id_generate(*, at: datetime) -> str:
    """Return a session id in the game's own style, e.g. X181001T215808."""
    return at.astimezone(UTC).strftime("X%y%m%dT%H%M%S")


def _state(session: GameSession) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "session_id": session.session_id,
        "game_type": session.game_type,
        "synchronized": session.synchronized,
        "minutes": session.time_limit_minutes,
        "total_seats": session.total_seats,
        "top_x": session.top_x,
        "opening_time": iso(session.opening_time),
        "synchronize_time": iso(session.synchronize_time),
        "closes_at": iso(session.closes_at),
        "closing_time": iso(session.closing_time),
    }


@transaction.atomic
def session_open(
    *,
    manager: Any,
    game_type: str,
    total_seats: int = 150,
    top_x: int = 10,
    minutes: int | None = None,
    synchronized: bool = False,
    session_id: str | None = None,
) -> GameSession:
    """Open a new session; refuse while another is open (the game knows one current session)."""
    if game_type not in GameType.values:
        raise SessionError(f"Unknown game type {game_type!r}.")
    if game_type == GameType.TIME_CONSTRAINED:
        if minutes is None or not MINUTES_MIN <= minutes <= MINUTES_MAX:
            raise SessionError(f"A time-constrained session lasts {MINUTES_MIN} to {MINUTES_MAX} minutes.")
    elif minutes is not None:
        raise SessionError("Only a time-constrained session has a time limit.")
    if synchronized and game_type not in ONE_GAME_TYPES:
        raise SessionError("Only single-trial and time-constrained sessions can be synchronized.")
    if total_seats < 1 or top_x < 1:
        raise SessionError("A session needs at least one seat and a top X of at least one.")
    session_id = (session_id or "").strip()
    if session_id and not session_id_is_valid(session_id):
        # The stream drops every status of a session whose id it cannot accept: refuse it here.
        raise SessionError(f"A session id is {SESSION_ID_RULE}; {session_id!r} is not.")

    publication_lock()
    open_session = GameSession.objects.open().first()
    if open_session is not None:
        raise SessionError(f"Session {open_session.session_id} is still open; close it first.")
    opening = _now()
    session_id = session_id or session_id_generate(at=opening)
    if GameSession.objects.filter(session_id=session_id).exists():
        raise SessionError(f"A session named {session_id} already exists; choose another name.")
    try:
        # A savepoint, so a lost race is reported as a refusal, not a broken transaction.
        with transaction.atomic():
            session = GameSession.objects.create(
                session_id=session_id,
                game_type=game_type,
                opening_time=opening,
                synchronized=synchronized,
                time_limit_minutes=minutes,
                closes_at=opening + timedelta(minutes=minutes) if minutes else None,
                total_seats=total_seats,
                top_x=top_x,
                opened_by=manager if getattr(manager, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise SessionError("Another session was opened at the same time; close it first.") from exc
    audit_record(actor=manager, action="session.open", target=session, before=None, after=_state(session))
    publication_changed()
    logger.info("session.opened session=%s game_type=%s", session.session_id, game_type)
    return session


def _locked(session: GameSession) -> GameSession:
    publication_lock()
    return GameSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def session_start(*, manager: Any, session: GameSession) -> GameSession:
    """Start a synchronized session now: every seated player begins at SynchronizeTime."""
    session = _locked(session)
    if not session.synchronized:
        raise SessionError(f"Session {session.session_id} is not synchronized; its players start on their own.")
    if not session.is_open:
        raise SessionError(f"Session {session.session_id} is closed.")
    if session.synchronize_time is not None:
        raise SessionError(f"Session {session.session_id} was already started.")
    before = _state(session)
    session.synchronize_time = _now()
    session.save(update_fields=["synchronize_time"])
    audit_record(actor=manager, action="session.start", target=session, before=before, after=_state(session))
    publication_changed()
    # Robust: the start is committed whatever happens to the announcement (a player who missed it
    # sees SynchronizeTime in the session and starts late, as in the original).
    session_pk = session.pk
    transaction.on_commit(lambda: session_start_announce(session_pk=session_pk), robust=True)
    logger.info("session.started session=%s", session.session_id)
    return session


def _close(*, actor: Any, session: GameSession, action: str) -> GameSession:
    before = _state(session)
    now = _now()
    # A timed session ends at its deadline even if the close comes later, so records stamped
    # after the deadline are discarded to the millisecond, however late the task runs.
    session.closing_time = min(now, session.closes_at) if session.closes_at else now
    session.save(update_fields=["closing_time"])
    audit_record(actor=actor, action=action, target=session, before=before, after=_state(session))
    publication_changed()
    logger.info("session.closed session=%s closing_time=%s", session.session_id, session.closing_time.isoformat())
    return session


@transaction.atomic
def session_close(*, manager: Any, session: GameSession) -> GameSession:
    """Close an open session: no new seats, and records stamped after now no longer count."""
    session = _locked(session)
    if not session.is_open:
        raise SessionError(f"Session {session.session_id} is already closed.")
    return _close(actor=manager, session=session, action="session.close")


@transaction.atomic
def sessions_close_expired() -> list[str]:
    """Close the time-constrained sessions whose time is up, at their deadline; return their ids."""
    publication_lock()
    expired = GameSession.objects.select_for_update().open().filter(closes_at__lte=timezone.now())
    return [_close(actor=None, session=session, action="session.close_timed").session_id for session in expired]
