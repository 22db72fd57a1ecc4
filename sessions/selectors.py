"""Reads of game sessions, for the apps that depend on `sessions`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet

from alienportal.dates import js_time
from sessions.models import ONE_GAME_TYPES, GameSession, GameType, Seat, SeatState, SessionPublication


def session_map(*, session_ids: Iterable[str]) -> dict[str, GameSession]:
    """Return the sessions among `session_ids` by session id, in one query (unknown ids are absent)."""
    ids = set(session_ids)
    if not ids:
        return {}
    return {session.session_id: session for session in GameSession.objects.filter(session_id__in=ids)}


def session_by_id(session_id: str) -> GameSession | None:
    """Return the session named `session_id`, or None: the reports and game APIs' per-request lookup.

    A raw query (Django still applies each field's converters): `filter(session_id=...)` cost
    ~0.7 ms of CPU to build and compile on every request, twice what the same read costs this way.
    """
    return next(iter(GameSession.objects.raw(_SESSION_BY_ID_SQL, [session_id])), None)


def session_current() -> GameSession | None:
    """Return the current session: the open one, else the most recently closed one, else None."""
    return GameSession.objects.current()


def session_document(*, session: GameSession | None) -> dict[str, Any] | None:
    """Return `session` in the shape the original game's manager page wrote to SSM (None: no session).

    Key order follows the original (`JSON.stringify` of the manager's game-type choice, then the
    id, opening time and seats); `TimeoutInMinutes` exists only for TIME_CONSTRAINED and
    `Synchronized` only for the game types that can be synchronized, as in the original.
    """
    if session is None:
        return None
    document: dict[str, Any] = {"GameType": session.game_type}
    if session.game_type == GameType.TIME_CONSTRAINED:
        document["TimeoutInMinutes"] = session.time_limit_minutes
    if session.game_type in ONE_GAME_TYPES:
        document["Synchronized"] = session.synchronized
    document["SessionId"] = session.session_id
    document["OpeningTime"] = js_time(session.opening_time)
    document["TotalSeats"] = session.total_seats
    if session.synchronize_time is not None:
        document["SynchronizeTime"] = js_time(session.synchronize_time)
    if session.closing_time is not None:
        document["ClosingTime"] = js_time(session.closing_time)
    return document


def session_document_json(*, session: GameSession | None) -> str:
    """Return the SSM parameter value for `session`: compact JSON, `null` when there is no session."""
    return json.dumps(session_document(session=session), separators=(",", ":"))


# The tables and columns of Seat and GameSession (tests/sessions cover it on every run).
_SEAT_IS_PLAYING_SQL = (
    "SELECT 1 FROM game_sessions_seat seat JOIN game_sessions_gamesession session ON seat.session_id = session.id"
    " WHERE session.session_id = %s AND seat.nickname = %s AND seat.state = %s LIMIT 1"
)


_SESSION_BY_ID_SQL = (
    "SELECT "  # noqa: S608 - only the model's own table and column names are formatted in
    + ", ".join(field.column for field in GameSession._meta.concrete_fields)
    + f" FROM {GameSession._meta.db_table} WHERE session_id = %s"
)


def seat_is_playing(*, session_id: str, nickname: str) -> bool:
    """Tell whether `nickname` holds a seat (is playing now) in the session named `session_id`."""
    # Every status the game posts asks this (~500/s for a full session). Written out, not built
    # by the ORM: the same query cost ~590 us of CPU through `.filter(...).exists()` (building
    # and compiling it each time) and ~130 us as SQL, on PostgreSQL and SQLite alike.
    with connection.cursor() as cursor:
        cursor.execute(_SEAT_IS_PLAYING_SQL, [session_id, nickname, SeatState.PLAYING.value])
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class StartWait:
    """Whether a player may wait for a synchronized start, and whether it already happened."""

    session_pk: int | None = None
    started: bool = False
    refusal: str = ""


def session_start_wait(*, nickname: str, session_id: str | None = None) -> StartWait:
    """Tell whether `nickname` may wait for the start of the current session (`session_id`, if given, must be it).

    Only a seated player of an open synchronized session waits; the original kept every
    connection of the session, ours only those of its players.
    """
    session = session_current()
    if session is None or not session.is_open:
        return StartWait(refusal="no open session")
    if session_id is not None and session.session_id != session_id:
        return StartWait(refusal="not the current session")
    if not session.synchronized:
        return StartWait(refusal="session not synchronized")
    if not seat_is_playing(session_id=session.session_id, nickname=nickname):
        return StartWait(refusal="no seat")
    return StartWait(session_pk=session.pk, started=session.synchronize_time is not None)


def seat_map(*, session: GameSession) -> dict[str, Any]:
    """Return who is playing, who finished and how many seats are free in `session`."""
    seats = list(Seat.objects.of_session(session).order_by("nickname").values_list("nickname", "state"))
    playing = [name for name, state in seats if state == SeatState.PLAYING]
    finished = [name for name, state in seats if state == SeatState.FINISHED]
    return {
        "playing": playing,
        "finished": finished,
        "occupied": session.occupied_seats,
        "free": session.total_seats - session.occupied_seats,
        "total": session.total_seats,
    }


def publication_get() -> SessionPublication:
    """Return the SSM publication state (its single row, created empty on first use)."""
    publication, _ = SessionPublication.objects.get_or_create(pk=1)
    return publication


def session_list(
    *,
    state: str | None = None,
    game_type: str | None = None,
    opened_from: datetime | None = None,
    opened_to: datetime | None = None,
) -> QuerySet[GameSession]:
    """Return the sessions matching every filter given: state "open"/"closed", game type, opened in [from, to)."""
    sessions = GameSession.objects.all()
    if state == "open":
        sessions = sessions.open()
    elif state == "closed":
        sessions = sessions.closed()
    elif state is not None:
        raise ValueError(f"unknown session state {state!r}")
    if game_type is not None:
        sessions = sessions.filter(game_type=game_type)
    if opened_from is not None:
        sessions = sessions.filter(opening_time__gte=opened_from)
    if opened_to is not None:
        sessions = sessions.filter(opening_time__lt=opened_to)
    return sessions


def seat_counts(*, session: GameSession) -> dict[str, int]:
    """Return how many seats are taken and free, and how many players are playing and finished (counted in the DB)."""
    by_state = dict(
        Seat.objects.filter(session=session).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return {
        "taken": session.occupied_seats,
        "free": session.total_seats - session.occupied_seats,
        "total": session.total_seats,
        "playing": by_state.get(SeatState.PLAYING, 0),
        "finished": by_state.get(SeatState.FINISHED, 0),
    }


def session_get(*, session_id: str) -> GameSession | None:
    """Return the session with this game id, or None."""
    return GameSession.objects.filter(session_id=session_id).first()


def sessions_recent(*, limit: int = 50) -> list[GameSession]:
    """Return the most recently opened sessions, newest first."""
    return list(GameSession.objects.order_by("-opening_time", "-pk")[:limit])


def player_seats(*, nickname: str, limit: int = 50) -> list[Seat]:
    """Return the player's seats (held or finished), newest session first, with their session."""
    return list(
        Seat.objects.filter(nickname=nickname).select_related("session").order_by("-session__opening_time")[:limit]
    )
