"""Reads of score events: one player's snapshots over time within a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scoreboard.models import ScoreEvent
from sessions.models import GameSession


@dataclass(frozen=True, slots=True)
class ScorePoint:
    event_time: datetime
    score: int
    lives: int
    level: int


def player_score_timeline(*, session: GameSession, nickname: str, limit: int = 5_000) -> list[ScorePoint]:
    """Return the player's accepted snapshots in the session by event time, at most `limit` (the first ones).

    Events have no (session, nickname) index (it slowed ingestion): the BRIN index on session
    narrows the read to the session's blocks, where the player's rows are filtered.
    """
    rows = (
        ScoreEvent.objects.filter(session=session, nickname=nickname)
        .order_by("event_time", "shard_id", "sequence_number")
        .values_list("event_time", "score", "lives", "level")[:limit]
    )
    return [ScorePoint(event_time=t, score=score, lives=lives, level=level) for t, score, lives, level in rows]
