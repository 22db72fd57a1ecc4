"""Windows of a session's ranking by rank (ranks a..b) and the whole ranking as a stream, for the reports API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection
from redis.exceptions import RedisError

from scoreboard.models import Standing
from scoreboard.ranking import ranking_window_keys
from scoreboard.selectors import _COLUMNS, RankedStanding, _ranked, _standing_rows, ranking_count, ranking_top
from sessions.models import GameSession


def ranking_window(*, session: GameSession, start: int, limit: int) -> list[RankedStanding]:
    """Return the standings ranked start .. start+limit-1 (1-based), best first."""
    return ranking_window_counted(session=session, start=start, limit=limit)[0]


def ranking_window_counted(*, session: GameSession, start: int, limit: int) -> tuple[list[RankedStanding], int]:
    """Return the standings ranked start .. start+limit-1 (1-based), best first, and the session's player count.

    The Redis index names the keys of the window in O(log N + limit) at any depth (with the count,
    in one round trip), and PostgreSQL reads those rows by (session, rank_key); an OFFSET scan
    would cost O(start). When the index is missing, or a player moved between the two reads, the
    window is read with OFFSET instead.
    """
    if start < 1 or limit < 1:
        raise ValueError("start and limit are 1 or more")
    try:
        found = ranking_window_keys(session_pk=session.pk, first=start - 1, last=start - 2 + limit)
    except RedisError:
        found = None
    if found is not None:
        keys, count = found
        rows = _window_rows(session_pk=session.pk, keys=keys) if keys else []
        if len(rows) == len(keys) and (keys or start > 1):
            return _ranked(rows, start), count
    return ranking_top(session=session, limit=limit, offset=start - 1), ranking_count(session=session)


def _window_rows(*, session_pk: int, keys: list[str]) -> list[dict[str, Any]]:
    # On PostgreSQL the keys go as one newline-joined string (nicknames are printable, so no key holds
    # a newline): one statement text for every window, which psycopg converts once and caches (it
    # re-parses a statement of more than 50 parameters on every call, and quotes a list item by item).
    if connection.vendor == "postgresql":
        return _standing_rows(
            f"SELECT {_COLUMNS} FROM {Standing._meta.db_table}"  # noqa: S608
            " WHERE session_id = %s AND rank_key = ANY(string_to_array(%s, E'\\n')) ORDER BY rank_key",
            [session_pk, "\n".join(keys)],
        )
    marks = ", ".join(["%s"] * len(keys))
    return _standing_rows(
        f"SELECT {_COLUMNS} FROM {Standing._meta.db_table} WHERE session_id = %s"  # noqa: S608
        f" AND rank_key IN ({marks}) ORDER BY rank_key",
        [session_pk, *keys],
    )


def ranking_rows(*, session: GameSession, chunk_size: int = 5000) -> Iterator[RankedStanding]:
    """Yield the session's whole ranking, best first, from a server-side cursor (flat memory)."""
    rows = (
        # Hidden standings (support) stay out of every ranking, exports included.
        Standing.objects.of_session(session)
        .ranked()
        .in_ranking_order()
        .values_list("nickname", "score", "lives", "shots", "level", "event_time")
    )
    for rank, (nickname, score, lives, shots, level, event_time) in enumerate(
        rows.iterator(chunk_size=chunk_size), start=1
    ):
        yield RankedStanding(rank, nickname, score, lives, shots, level, event_time)
