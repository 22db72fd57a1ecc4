"""Reads of the scoreboard: rankings in the one order of DESIGN.md, and pipeline metrics.

Every ranking reads `rank_key` (Score desc, Lives desc, Shots asc, Nickname asc encoded as one
bytewise-sortable string). Top X and neighbours are index range scans in PostgreSQL; a player's
position comes from the session's Redis sorted set (ZRANK, O(log N)), because counting the rows
ahead of a player in PostgreSQL is linear in the rank.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from redis.exceptions import RedisError

from scoreboard.models import SessionDiscards, Standing, WorkerHeartbeat
from scoreboard.ranking import ranking_count as index_count
from scoreboard.ranking import ranking_is_ready, ranking_rank, ranking_rank_count
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


def _aware(moment: datetime | str) -> datetime:
    # Raw cursors on SQLite (the demo) return text; PostgreSQL returns aware datetimes.
    if isinstance(moment, str):
        from django.db.models.fields import DateTimeField

        return DateTimeField().to_python(moment)
    return moment


def _standing_rows(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """Run `sql`, which selects _FIELDS in order, and return its rows as dicts (as `.values(*_FIELDS)` would).

    For the reports API's hot windows: building the same statement through the ORM cost more CPU
    than PostgreSQL spent answering it. Only table and column names are formatted into the SQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [{**dict(zip(_FIELDS, row, strict=False)), "event_time": _aware(row[5])} for row in found]


_COLUMNS = ", ".join(_FIELDS)


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


def _position(rank: int, count: int) -> PlayerPosition:
    return PlayerPosition(rank=rank, count=count, percentile=round(100.0 * (count - rank + 1) / count, 3))


def ranking_position_around(
    *, session: GameSession, nickname: str, before: int = 5, after: int = 5
) -> tuple[PlayerPosition, list[RankedStanding]] | None:
    """Return what ranking_player_position and ranking_around say together, None if the player has no standing.

    One statement for the player's key, one Redis round trip for their rank and the player count,
    one statement for the neighbours (the two separate reads took six statements and four round trips).
    """
    standings = Standing.objects.of_session(session).ranked()
    key = standings.of_player(nickname).values_list("rank_key", flat=True).first()
    if key is None:
        return None
    try:
        found = ranking_rank_count(session_pk=session.pk, key=key)
    except RedisError:
        logger.warning("ranking_index_unavailable session=%s", session.pk)
        found = None
    if found is None:  # the index is missing or behind: exact counts in PostgreSQL
        rank, count = standings.filter(rank_key__lt=key).count() + 1, ranking_count(session=session)
    else:
        rank, count = found[0] + 1, found[1]
    table = Standing._meta.db_table
    # Ranked standings only (hidden ones stay out), just above the player and from the player down.
    side = f"SELECT %s AS above, {_COLUMNS} FROM {table} WHERE session_id = %s AND hidden = %s AND rank_key"  # noqa: S608
    sql = (
        f"SELECT * FROM (SELECT * FROM ({side} < %s ORDER BY rank_key DESC LIMIT %s) AS a"  # noqa: S608
        f" UNION ALL SELECT * FROM ({side} >= %s ORDER BY rank_key LIMIT %s) AS b) AS around ORDER BY rank_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [1, session.pk, False, key, before, 0, session.pk, False, key, after + 1])
        found_rows = cursor.fetchall()
    above = sum(1 for row in found_rows if row[0])
    rows = [{**dict(zip(_FIELDS, row[1:], strict=False)), "event_time": _aware(row[6])} for row in found_rows]
    return _position(rank, count), _ranked(rows, rank - above)


def ranking_player_position(*, session: GameSession, nickname: str) -> PlayerPosition | None:
    """Return the player's rank, the session's player count and the player's percentile."""
    rank = ranking_player_rank(session=session, nickname=nickname)
    if rank is None:
        return None
    return _position(rank, ranking_count(session=session))


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
