"""Reads of the scoreboard: rankings in the one order of DESIGN.md, and pipeline metrics.

Every ranking reads `rank_key` (Score desc, Lives desc, Shots asc, Nickname asc encoded as one
bytewise-sortable string). Top X and neighbours are index range scans in PostgreSQL; a player's
position comes from the session's Redis sorted set (ZRANK, O(log N)), because counting the rows
ahead of a player in PostgreSQL is linear in the rank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from redis.exceptions import RedisError

from scoreboard.models import SessionDiscards, Standing, WorkerHeartbeat
from scoreboard.ranking import ranking_count as index_count
from scoreboard.ranking import ranking_is_ready, ranking_rank
from scoreboard.selectors.pipeline import ShardFigures, pipeline_shard_figures
from sessions.models import GameSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RankedStanding:
    rank: int  # 1-based
    nickname: str
    score: int
    lives: int
    shots: int
    level: int
    event_time: datetime
    # The current game, where the ranked one (above) may be the best finished game (models.Standing).
    current_score: int | None = None
    current_lives: int | None = None


_FIELDS = ("nickname", "score", "lives", "shots", "level", "event_time", "rank_key", "current_score", "current_lives")


def _ranked(rows: Any, first_rank: int) -> list[RankedStanding]:
    return [
        RankedStanding(
            rank=first_rank + offset,
            nickname=row["nickname"],
            score=row["score"],
            lives=row["lives"],
            shots=row["shots"],
            level=row["level"],
            event_time=row["event_time"],
            current_score=row["current_score"],
            current_lives=row["current_lives"],
        )
        for offset, row in enumerate(rows)
    ]


def ranking_top(*, session: GameSession, limit: int, offset: int = 0) -> list[RankedStanding]:
    """Return the session's standings from rank offset+1, best first, at most `limit`."""
    rows = Standing.objects.of_session(session).ranked().in_ranking_order().values(*_FIELDS)[offset : offset + limit]
    return _ranked(rows, offset + 1)


def ranking_count(*, session: GameSession) -> int:
    """Return how many players have a standing in the session."""
    try:
        if ranking_is_ready(session_pk=session.pk):
            return index_count(session_pk=session.pk)
    except RedisError:
        logger.warning("ranking_index_unavailable session=%s", session.pk)
    return Standing.objects.of_session(session).ranked().count()


def ranking_player_rank(*, session: GameSession, nickname: str) -> int | None:
    """Return the player's 1-based rank in the session, None if they have no standing (or it is hidden)."""
    key = Standing.objects.of_session(session).of_player(nickname).ranked().values_list("rank_key", flat=True).first()
    if key is None:
        return None
    try:
        if ranking_is_ready(session_pk=session.pk):
            position = ranking_rank(session_pk=session.pk, key=key)
            if position is not None:
                return position + 1
    except RedisError:
        logger.warning("ranking_index_unavailable session=%s", session.pk)
    # The index is missing or behind: count in PostgreSQL (exact, linear in the rank).
    return Standing.objects.of_session(session).ranked().filter(rank_key__lt=key).count() + 1


def ranking_around(*, session: GameSession, nickname: str, before: int = 5, after: int = 5) -> list[RankedStanding]:
    """Return up to `before` players ranked just above the player, the player, and `after` below."""
    key = Standing.objects.of_session(session).of_player(nickname).ranked().values_list("rank_key", flat=True).first()
    if key is None:
        return []
    rank = ranking_player_rank(session=session, nickname=nickname) or 1
    standings = Standing.objects.of_session(session).ranked()
    above = list(standings.filter(rank_key__lt=key).order_by("-rank_key").values(*_FIELDS)[:before])
    here_and_below = list(standings.filter(rank_key__gte=key).order_by("rank_key").values(*_FIELDS)[: after + 1])
    above.reverse()
    return _ranked([*above, *here_and_below], rank - len(above))


@dataclass(frozen=True, slots=True)
class PlayerPosition:
    rank: int
    count: int
    percentile: float  # share of players ranked at or below this player, 0..100


def ranking_player_position(*, session: GameSession, nickname: str) -> PlayerPosition | None:
    """Return the player's rank, the session's player count and the player's percentile."""
    rank = ranking_player_rank(session=session, nickname=nickname)
    if rank is None:
        return None
    count = ranking_count(session=session)
    return PlayerPosition(rank=rank, count=count, percentile=round(100.0 * (count - rank + 1) / count, 3))


def discards_after_closing(*, session: GameSession) -> int:
    """Return how many records stamped after the session's closing time were discarded."""
    return SessionDiscards.objects.filter(session=session).values_list("after_closing", flat=True).first() or 0


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    worker: str
    shard_id: str
    beat_at: datetime
    started_at: datetime


def pipeline_shards(*, stream_name: str | None = None) -> list[ShardFigures]:
    """Return per-shard pipeline metrics now (`pipeline_shard_figures` as of any moment)."""
    return pipeline_shard_figures(now=timezone.now(), stream_name=stream_name)


def pipeline_workers() -> list[WorkerHealth]:
    """Return every drain worker's last heartbeat, most recent first."""
    return [
        WorkerHealth(worker=row.worker, shard_id=row.shard_id, beat_at=row.beat_at, started_at=row.started_at)
        for row in WorkerHeartbeat.objects.order_by("-beat_at")
    ]


def session_top_x_rows(session: GameSession, limit: int) -> list[dict[str, Any]]:
    """Return a session's top `limit` standings in the record's field names (the sessions top-X hook)."""
    return [
        {"Rank": row.rank, "Nickname": row.nickname, "Score": row.score, "Lives": row.lives, "Shots": row.shots}
        for row in ranking_top(session=session, limit=limit)
    ]
