"""Reads of one player for the support desk: their snapshot trail in a session, their dead letters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from scoreboard.models import CheatFlag, DeadLetter, ScoreEvent
from scoreboard.trail import MarkedPoint, TrailPoint, trail_marks
from sessions.models import GameSession


def player_trail(*, session: GameSession, nickname: str, limit: int = 500) -> list[MarkedPoint]:
    """Return the player's last `limit` snapshots in the session, oldest first, with their marks.

    There is deliberately no (session, nickname) index on score events (it cost ~35 % of the
    drain's insert time): this reads the session's events through the BRIN index on session and
    filters the nickname, fine for one ticket page, not for a loop over players.
    """
    rows = list(
        ScoreEvent.objects.filter(session=session, nickname=nickname)
        .order_by("-event_time", "-shard_id", "-sequence_number")
        .values_list("score", "lives", "shots", "level", "event_time")[:limit]
    )
    rows.reverse()
    return trail_marks(
        [TrailPoint(*row) for row in rows],
        opening=session.opening_time,
        closing=session.effective_closing_time,
        gap=timedelta(seconds=settings.TRAIL_GAP_SECONDS),
        min_interval=timedelta(milliseconds=settings.TRAIL_MIN_STATUS_INTERVAL_MS),
    )


@dataclass(frozen=True, slots=True)
class PlayerDeadLetter:
    pk: int
    reason: str
    detail: str
    session_id: str
    created_at: datetime
    replayed_at: datetime | None
    data: str  # the raw bytes as text (replacement characters where not UTF-8), capped


def player_dead_letters(*, nickname: str, limit: int = 50) -> list[PlayerDeadLetter]:
    """Return dead letters whose raw record names the player as its Nickname, newest first."""
    needle = nickname.encode()
    if connection.vendor == "postgresql":
        candidates = DeadLetter.objects.extra(where=["position(%s::bytea in data) > 0"], params=[needle])
    else:
        candidates = DeadLetter.objects.extra(where=["instr(data, %s) > 0"], params=[needle])
    result = []
    for letter in candidates.order_by("-created_at", "-pk")[: limit * 4]:
        raw = bytes(letter.data)
        if not _names_player(raw, nickname):
            continue
        result.append(
            PlayerDeadLetter(
                pk=letter.pk,
                reason=letter.reason,
                detail=letter.detail,
                session_id=letter.session_id,
                created_at=letter.created_at,
                replayed_at=letter.replayed_at,
                data=raw[:500].decode("utf-8", errors="replace"),
            )
        )
        if len(result) >= limit:
            break
    return result


def _names_player(raw: bytes, nickname: str) -> bool:
    # A dead letter may be any bytes: trust the JSON when it parses, else look for the field.
    try:
        record = json.loads(raw)
    except ValueError:
        return f'"Nickname": "{nickname}"'.encode() in raw or f'"Nickname":"{nickname}"'.encode() in raw
    return isinstance(record, dict) and record.get("Nickname") == nickname


def player_cheat_flags(*, nickname: str, limit: int = 50) -> list[CheatFlag]:
    """Return the cheat flags raised on the player, in every session, newest first."""
    return list(CheatFlag.objects.filter(nickname=nickname).select_related("session").order_by("-raised_at")[:limit])
