"""Cheat flags in the drain: check each player's new snapshots of a batch, store what breaks a rule.

Runs inside the batch transaction, before the standings move, so flags commit with the standings
they were raised on (and a replayed batch raises nothing twice: a flag is one row per session,
player and rule). The rules are scoreboard/cheats.py's, in Python.

On PostgreSQL the batch is first screened in SQL (SUSPECTS_FROM_STAGING, on the staged rows, in
the server): it names every player whose snapshots might break a rule, and only those players are
checked in Python. Honest traffic costs one statement a batch and no Python work per record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from scoreboard.cheats import Finding, Limits, Status, statuses_check
from sessions.models import GameSession

PlayerKey = tuple[int, str]  # (session pk, nickname)

_UPSERT = (
    "INSERT INTO scoreboard_cheatflag (session_id, nickname, rule, evidence, hits, first_seen_at, last_seen_at,"
    " raised_at, dismissed_by, dismiss_reason) VALUES (%s, %s, %s, %s, 1, %s, %s, %s, '', '')"
    " ON CONFLICT (session_id, nickname, rule) DO UPDATE SET hits = scoreboard_cheatflag.hits + 1,"
    " last_seen_at = CASE WHEN excluded.last_seen_at > scoreboard_cheatflag.last_seen_at"
    " THEN excluded.last_seen_at ELSE scoreboard_cheatflag.last_seen_at END"
)


def cheat_flags_find(
    *,
    statuses: dict[PlayerKey, list[Status]],
    previous: dict[PlayerKey, Status],
    sessions: dict[int, GameSession],
    limits: Limits,
) -> list[tuple[PlayerKey, Finding]]:
    """Return each player's findings over their new statuses (sorted here by event time)."""
    found: list[tuple[PlayerKey, Finding]] = []
    for key, items in statuses.items():
        session = sessions[key[0]]
        items.sort(key=lambda status: status.event_time)
        for finding in statuses_check(
            items,
            previous=previous.get(key),
            opening=session.opening_time,
            closing=session.effective_closing_time,
            limits=limits,
        ):
            found.append((key, finding))
    return found


def cheat_flags_write(*, findings: Sequence[tuple[PlayerKey, Finding]], now: datetime) -> int:
    """Store findings as flags (a repeat counts a hit on the existing flag); return how many."""
    if not findings:
        return 0
    rows: list[Any] = [
        (
            session_pk,
            nickname,
            finding.rule.value,
            json.dumps(finding.evidence),
            finding.status.event_time,
            finding.status.event_time,
            now,
        )
        for (session_pk, nickname), finding in findings
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT, rows)
    return len(rows)


# Players of the staged batch whose snapshots might break a rule: every pair the Python rules
# compare (a status and the player's last one before it) is a pair of neighbours here, once the
# standing's current game joins the batch's rows in event-time order (the standing first on a
# tie, then sequence order, as the Python sort keeps it). Neighbours that are the same snapshot
# twice are no pair (a re-delivery: the rules skip it). A superset of the players with findings:
# the Python check decides (tests/scoreboard/test_cheat_screen.py compares the two).
_TRAIL = (
    "SELECT session_id, nickname, score, lives, shots, level, event_time, 1 AS part, sequence_number"
    " FROM scoreboard_batch_staging"
    " UNION ALL"
    " SELECT st.session_id, st.nickname, st.current_score, st.current_lives, st.current_shots, st.current_level,"
    " st.event_time, 0, NULL FROM scoreboard_standing st"
    " WHERE (st.session_id, st.nickname) IN (SELECT session_id, nickname FROM scoreboard_batch_staging)"
)
_PAIRS = (
    "SELECT t.*, LAG(score) OVER w AS p_score, LAG(lives) OVER w AS p_lives, LAG(shots) OVER w AS p_shots,"  # noqa: S608 - constant SQL
    " LAG(level) OVER w AS p_level, LAG(event_time) OVER w AS p_time,"
    # The points a status's hits made: its score less the bonuses of the levels below (bigint:
    # Level <= 1,000,000 on input, and cheat_suspects_postgresql bounds the bonus).
    " t.score - %(bonus)s::bigint * GREATEST(t.level, 1) * (GREATEST(t.level, 1) - 1) / 2 AS points"
    f" FROM ({_TRAIL}) AS t"
    # Byte order for the players ("C"): any order groups them, and it sorts fastest.
    ' WINDOW w AS (PARTITION BY session_id, nickname COLLATE "C" ORDER BY event_time, part, sequence_number)'
)
SUSPECTS_FROM_STAGING = (
    "SELECT DISTINCT q.session_id, q.nickname"  # noqa: S608 - constant SQL
    f" FROM ({_PAIRS}) AS q JOIN game_sessions_gamesession g ON g.id = q.session_id"
    " WHERE q.part = 1"
    " AND (q.p_time IS NULL OR (q.score, q.lives, q.shots, q.level, q.event_time)"
    " IS DISTINCT FROM (q.p_score, q.p_lives, q.p_shots, q.p_level, q.p_time))"
    " AND ("
    # outside_session
    " q.event_time < g.opening_time - %(skew)s"
    " OR q.event_time > COALESCE(g.closing_time, g.closes_at) + %(skew)s"
    # impossible_score: points = 5 x hits, hits <= shots, 50 x (level - 1) <= hits <= 50 x level
    " OR q.points < 0 OR q.points %% %(per_hit)s <> 0"
    " OR q.points / %(per_hit)s > q.shots"
    " OR q.points / %(per_hit)s < %(invaders)s::bigint * (GREATEST(q.level, 1) - 1)"
    " OR q.points / %(per_hit)s > %(invaders)s::bigint * GREATEST(q.level, 1)"
    # the pair rules, within a game (the status before has lives left)
    " OR (q.p_time IS NOT NULL AND q.p_lives > 0 AND ("
    " q.event_time - q.p_time < %(min_interval)s"
    " OR q.lives > q.p_lives OR q.score < q.p_score OR q.shots < q.p_shots OR q.level < q.p_level"
    # (a microsecond of slack against Python's float arithmetic: never fewer suspects)
    " OR (q.shots - q.p_shots > %(slack)s AND q.shots - q.p_shots"
    " > EXTRACT(EPOCH FROM q.event_time - q.p_time)::float8 * %(rate)s + %(slack)s - 0.000001))))"
)
# Beyond this level bonus the bonuses of Level 1,000,000 overflow bigint: everyone is a suspect.
_SCREEN_MAX_LEVEL_BONUS = 10_000_000


def cheat_suspects_postgresql(cursor: Any, *, limits: Limits) -> set[PlayerKey]:
    """Return the staged batch's players who might break a rule (run before the standings move)."""
    if limits.level_bonus > _SCREEN_MAX_LEVEL_BONUS:
        cursor.execute("SELECT DISTINCT session_id, nickname FROM scoreboard_batch_staging")
        return {(session_pk, nickname) for session_pk, nickname in cursor.fetchall()}
    cursor.execute(
        SUSPECTS_FROM_STAGING,
        {
            "skew": limits.clock_skew,
            "min_interval": limits.min_status_interval,
            "rate": limits.max_shots_per_second,
            "slack": limits.fire_rate_slack_shots,
            "per_hit": limits.points_per_hit,
            "bonus": limits.level_bonus,
            "invaders": limits.invaders_per_level,
        },
    )
    return {(session_pk, nickname) for session_pk, nickname in cursor.fetchall()}


def previous_statuses(*, players: Iterable[PlayerKey]) -> dict[PlayerKey, Status]:
    """Return each player's current game (not the ranked one) as the status before this batch.

    One index probe per player: on PostgreSQL the nicknames go as one array per session
    (`= ANY(%s)`), not as thousands of bound parameters.
    """
    by_session: dict[int, list[str]] = {}
    for session_pk, nickname in players:
        by_session.setdefault(session_pk, []).append(nickname)
    found: dict[PlayerKey, Status] = {}
    with connection.cursor() as cursor:
        for session_pk, nicknames in by_session.items():
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nickname, current_score, current_lives, current_shots, current_level, event_time"
                    " FROM scoreboard_standing"
                    " WHERE session_id = %s AND nickname = ANY(%s)",
                    [session_pk, nicknames],
                )
                rows = cursor.fetchall()
            else:
                from scoreboard.models import Standing

                rows = list(
                    Standing.objects.filter(session_id=session_pk, nickname__in=nicknames).values_list(
                        "nickname", "current_score", "current_lives", "current_shots", "current_level", "event_time"
                    )
                )
            for nickname, score, lives, shots, level, event_time in rows:
                found[(session_pk, nickname)] = Status(score, lives, shots, level, event_time)
    return found


def cheat_flags_batch(
    *, accepted: Iterable[Any], now: datetime, limits: Limits | None, only: set[PlayerKey] | None = None
) -> int:
    """Check the accepted snapshots of a batch (before their standings are written) and store flags.

    `only`: check these players alone (the SQL screen's suspects); None: every player.
    """
    if limits is None:
        return 0
    statuses: dict[PlayerKey, list[Status]] = {}
    sessions: dict[int, GameSession] = {}
    for item in accepted:
        snapshot = item.snapshot
        key = (item.session.pk, snapshot.nickname)
        if only is not None and key not in only:
            continue
        sessions[item.session.pk] = item.session
        statuses.setdefault(key, []).append(
            Status(snapshot.score, snapshot.lives, snapshot.shots, snapshot.level, snapshot.timestamp)
        )
    if not statuses:
        return 0
    findings = cheat_flags_find(
        statuses=statuses,
        previous=previous_statuses(players=statuses),
        sessions=sessions,
        limits=limits,
    )
    return cheat_flags_write(findings=findings, now=now)
