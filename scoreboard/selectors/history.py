"""Reads across sessions: session summaries side by side, the historical leaderboard, a player's history.

Every figure is aggregated in the database (subqueries per session, one statement per call);
rankings use `rank_key`, the one ranking order (scoreboard/ranking.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber

from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, Standing
from scoreboard.selectors import PlayerPosition, _aware, ranking_player_position
from sessions.models import GameSession
from sessions.selectors import session_list


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    game_type: str
    opening_time: datetime
    closing_time: datetime | None
    players: int  # players with a standing
    records: int  # accepted snapshots (score events)
    discards: int  # records stamped after the closing time
    dead_letters: int  # dead letters that name the session
    top_score: int | None  # the score of rank 1, None before any standing
    leader: str | None  # the nickname at rank 1
    duration_seconds: float  # opening to closing; while open, opening to `as_of`


def _count_per_session(queryset: QuerySet, *, key: str, outer: str) -> Subquery:
    return Subquery(
        queryset.filter(**{key: OuterRef(outer)}).order_by().values(key).annotate(n=Count("*")).values("n"),
        output_field=IntegerField(),
    )


def session_summaries(*, sessions: QuerySet[GameSession], as_of: datetime) -> list[SessionSummary]:
    """Return the summary of each session of `sessions`, in the queryset's order, in one statement."""
    # Standings hidden by support take no part in reports.
    leader = Standing.objects.ranked().filter(session=OuterRef("pk")).order_by("rank_key")
    rows = sessions.annotate(
        players=Coalesce(_count_per_session(Standing.objects.ranked(), key="session", outer="pk"), Value(0)),
        records=Coalesce(_count_per_session(ScoreEvent.objects.all(), key="session", outer="pk"), Value(0)),
        dead_letter_count=Coalesce(
            _count_per_session(DeadLetter.objects.all(), key="session_id", outer="session_id"), Value(0)
        ),
        discards=Coalesce(
            Subquery(SessionDiscards.objects.filter(session=OuterRef("pk")).values("after_closing")[:1]), Value(0)
        ),
        top_score=Subquery(leader.values("score")[:1]),
        leader=Subquery(leader.values("nickname")[:1]),
    )
    return [
        SessionSummary(
            session_id=row.session_id,
            game_type=row.game_type,
            opening_time=row.opening_time,
            closing_time=row.closing_time,
            players=row.players,
            records=row.records,
            discards=row.discards,
            dead_letters=row.dead_letter_count,
            top_score=row.top_score,
            leader=row.leader,
            duration_seconds=_duration_seconds(row, as_of=as_of),
        )
        for row in rows
    ]


def _duration_seconds(session: GameSession, *, as_of: datetime) -> float:
    end = session.closing_time
    if end is None:
        # Open: played so far, but never past a timed session's fixed deadline.
        end = min(as_of, session.closes_at) if session.closes_at is not None else as_of
    return max(0.0, (end - session.opening_time).total_seconds())


def session_summary(*, session: GameSession, as_of: datetime) -> SessionSummary:
    """Return one session's players, records, discards, dead letters, top score and duration."""
    return session_summaries(sessions=GameSession.objects.filter(pk=session.pk), as_of=as_of)[0]


def sessions_compare(*, session_ids: Sequence[str], as_of: datetime) -> list[SessionSummary]:
    """Return the summaries of the sessions named, in the order named (unknown ids are left out)."""
    by_id = {
        summary.session_id: summary
        for summary in session_summaries(sessions=GameSession.objects.filter(session_id__in=session_ids), as_of=as_of)
    }
    return [by_id[session_id] for session_id in dict.fromkeys(session_ids) if session_id in by_id]


# --- The historical leaderboard -------------------------------------------------------------
# A player's entry is their best standing (first in the ranking order) among the sessions of the
# range; two equal standings resolve to the older session (lower pk), so every player has
# exactly one entry and the order (rank_key, session) is total.


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int  # 1-based
    nickname: str
    score: int
    lives: int
    shots: int
    level: int
    event_time: datetime
    session_id: str  # the session in which the player earned this standing


_ENTRY_COLUMNS = ("nickname", "score", "lives", "shots", "level", "event_time", "rank_key", "session_id")
# Above this many sessions in a range, one statement with a branch per session costs more to
# plan than a single pass over the standings.
_MERGE_MAX_SESSIONS = 64


def _range_session_pks(
    *, opened_from: datetime | None, opened_to: datetime | None, game_type: str | None
) -> dict[int, str]:
    sessions = session_list(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
    return dict(sessions.order_by("pk").values_list("pk", "session_id"))


def leaderboard_window(
    *,
    opened_from: datetime | None = None,
    opened_to: datetime | None = None,
    game_type: str | None = None,
    start: int = 1,
    limit: int = 50,
) -> list[LeaderboardEntry]:
    """Return the leaderboard's ranks start .. start+limit-1 over the sessions opened in [from, to).

    One statement: a branch per session reads that session's standings in rank order (an index
    range scan on (session, rank_key)) and keeps those that are their player's best in the range
    (an index probe per session on (session, nickname)); the branches merge in rank order. So a
    window near the top costs O(sessions x (start + limit)), never a pass over every standing.
    """
    if start < 1 or limit < 1:
        raise ValueError("start and limit are 1 or more")
    sessions = _range_session_pks(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
    if not sessions:
        return []
    if len(sessions) > _MERGE_MAX_SESSIONS:
        rows = leaderboard_rows(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
        return list(_take(rows, start=start, limit=limit))
    # Only the table name and placeholders are formatted into the SQL; every value is a bound parameter.
    table = Standing._meta.db_table
    pks = list(sessions)
    members = ", ".join(["%s"] * len(pks))
    columns = ", ".join(f"s.{column}" for column in _ENTRY_COLUMNS)
    depth = start - 1 + limit
    branches: list[str] = []
    params: list[int | str] = []
    for pk in pks:
        better_elsewhere = ""
        if len(pks) > 1:
            better_elsewhere = (
                f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.session_id IN ({members})"  # noqa: S608
                " AND t.nickname = s.nickname AND (t.rank_key < s.rank_key"
                " OR (t.rank_key = s.rank_key AND t.session_id < s.session_id)))"
            )
            params_branch: list[int | str] = [pk, *pks, depth]
        else:
            params_branch = [pk, depth]
        branches.append(
            f"SELECT * FROM (SELECT {columns} FROM {table} s WHERE s.session_id = %s{better_elsewhere}"  # noqa: S608
            f" ORDER BY s.rank_key LIMIT %s) AS b{len(branches)}"
        )
        params.extend(params_branch)
    union = " UNION ALL ".join(branches)
    sql = f"SELECT * FROM ({union}) AS merged ORDER BY rank_key, session_id LIMIT %s OFFSET %s"  # noqa: S608
    params.extend([limit, start - 1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        LeaderboardEntry(
            rank=start + offset,
            nickname=nickname,
            score=score,
            lives=lives,
            shots=shots,
            level=level,
            event_time=_aware(event_time),
            session_id=sessions[session_pk],
        )
        for offset, (nickname, score, lives, shots, level, event_time, _key, session_pk) in enumerate(found)
    ]


def _take(rows: Iterator[LeaderboardEntry], *, start: int, limit: int) -> Iterator[LeaderboardEntry]:
    for entry in rows:
        if entry.rank >= start + limit:
            return
        if entry.rank >= start:
            yield entry


def leaderboard_queryset(
    *, opened_from: datetime | None = None, opened_to: datetime | None = None, game_type: str | None = None
) -> QuerySet[Standing]:
    """Return each player's best standing over the range, in ranking order (one pass over the standings)."""
    sessions = session_list(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
    return (
        Standing.objects.ranked()
        .filter(session__in=sessions)
        .annotate(
            best=Window(RowNumber(), partition_by="nickname", order_by=("rank_key", "session_id")),
        )
        .filter(best=1)
        .order_by("rank_key", "session_id")
    )


def leaderboard_rows(
    *,
    opened_from: datetime | None = None,
    opened_to: datetime | None = None,
    game_type: str | None = None,
    chunk_size: int = 5000,
) -> Iterator[LeaderboardEntry]:
    """Yield the whole leaderboard over the range in rank order, streamed from a server-side cursor."""
    rows = leaderboard_queryset(opened_from=opened_from, opened_to=opened_to, game_type=game_type).values_list(
        "nickname", "score", "lives", "shots", "level", "event_time", "session__session_id"
    )
    for rank, (nickname, score, lives, shots, level, event_time, session_id) in enumerate(
        rows.iterator(chunk_size=chunk_size), start=1
    ):
        yield LeaderboardEntry(
            rank=rank,
            nickname=nickname,
            score=score,
            lives=lives,
            shots=shots,
            level=level,
            event_time=event_time,
            session_id=session_id,
        )


# --- One player across sessions -------------------------------------------------------------


def player_history(
    *,
    nickname: str,
    opened_from: datetime | None = None,
    opened_to: datetime | None = None,
    game_type: str | None = None,
) -> QuerySet[Standing]:
    """Return the player's standing in each session of the range, newest session first.

    The sessions are named explicitly so PostgreSQL probes the (session, nickname) unique index
    once per session rather than reading every standing.
    """
    sessions = session_list(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
    return (
        Standing.objects.filter(session__in=sessions, nickname=nickname)
        .select_related("session")
        .order_by("-session_id")
    )


def player_positions(*, standings: Sequence[Standing]) -> dict[int, PlayerPosition | None]:
    """Return the player's rank, player count and percentile in each standing's session, by session pk."""
    return {
        standing.session_id: ranking_player_position(session=standing.session, nickname=standing.nickname)
        for standing in standings
    }


def player_search(*, prefix: str | None = None) -> QuerySet[Standing, dict[str, Any]]:
    """Return one row per player (nickname starting with `prefix`): sessions played, best score, last played."""
    standings = Standing.objects.all()
    if prefix:
        standings = standings.filter(nickname__startswith=prefix)
    return (
        standings.order_by()
        .values("nickname")
        .annotate(sessions=Count("session"), best_score=Max("score"), last_played=Max("event_time"))
        .order_by("nickname")
    )
