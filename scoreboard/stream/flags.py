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
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class BatchScreen:
    """Who in a batch might break a cheat rule, as far as the batch alone tells (batch_screen).

    `suspects`: players whose snapshots of the batch break a rule by themselves or among
    themselves, or are out of order. Every player's first snapshot of the batch is still to be
    paired with their standing (cheat_suspects_postgresql). In terms of `limits`.
    """

    limits: Limits
    suspects: set[PlayerKey] = field(default_factory=set)


def batch_screen(accepted: Sequence[Any], *, limits: Limits) -> BatchScreen:
    """Screen a batch's accepted snapshots for cheat suspects with the rules' cheapest tests.

    A player is a suspect when one snapshot breaks a single-snapshot rule, when two of theirs in
    the batch (in stream order) break a pair rule, or when they arrive out of event-time order
    (the Python check then sorts them out). A superset of the players the rules would flag, given
    their standing; the pair of their first snapshot with their standing is the database's part.
    It runs on BatchPipeline's routing thread, on the staging rows routing built: no query.
    """
    screen = BatchScreen(limits=limits)
    suspects = screen.suspects
    min_interval, rate, slack = limits.min_status_interval, limits.max_shots_per_second, limits.fire_rate_slack_shots
    per_hit, bonus, invaders = limits.points_per_hit, limits.level_bonus, limits.invaders_per_level
    skew = limits.clock_skew
    last: dict[PlayerKey, tuple] = {}
    window_of, low, high = None, None, None
    for item in accepted:
        # The staging row built while routing (STAGING_COLUMNS order): one unpack, no attribute reads.
        session_pk, nickname, score, lives, shots, level, moment, _shard, _sequence, _first, _key = item.row
        key = (session_pk, nickname)
        if key in suspects:
            continue
        if session_pk != window_of:
            session = item.session
            closing = session.effective_closing_time
            window_of, low, high = session_pk, session.opening_time - skew, closing + skew if closing else None
        # Single snapshots: inside the session, and a score that hits and level bonuses can make.
        if level > 1:
            points = score - bonus * level * (level - 1) // 2
            hits = points // per_hit
            impossible = (
                points < 0 or points % per_hit or hits > shots or not invaders * (level - 1) <= hits <= invaders * level
            )
        else:
            hits = score // per_hit
            impossible = score < 0 or score % per_hit or hits > shots or hits > invaders
        if impossible or moment < low or (high is not None and moment > high):
            suspects.add(key)
            continue
        before = last.get(key)
        last[key] = item.row
        if before is None:
            continue
        _pk, _nickname, b_score, b_lives, b_shots, b_level, b_moment, *_ = before
        if moment <= b_moment:
            if (score, lives, shots, level, moment) != (b_score, b_lives, b_shots, b_level, b_moment):
                suspects.add(key)  # a repeat is no pair (the rules skip it); anything else is
            continue
        if b_lives > 0:  # after Lives == 0 a new game starts from scratch
            elapsed = moment - b_moment
            fired = shots - b_shots
            if (
                elapsed < min_interval
                or lives > b_lives
                or score < b_score
                or fired < 0
                or level < b_level
                or (fired > slack and fired > rate * elapsed.total_seconds() + slack)
            ):
                suspects.add(key)
    return screen


# Each player's first snapshot of the staged batch paired with their current game: a suspect when
# the pair breaks a rule, or when the snapshot is not newer than the standing (late, or another
# snapshot at the same moment: the Python check sorts it out). Parameters: the limits.
FIRSTS_AGAINST_STANDINGS = (
    "SELECT f.session_id, f.nickname FROM scoreboard_batch_staging f"
    # LIMIT 1 keeps it one index probe per player: a join could read the session's every standing.
    " CROSS JOIN LATERAL (SELECT * FROM scoreboard_standing st"
    " WHERE st.session_id = f.session_id AND st.nickname = f.nickname LIMIT 1) AS s"
    " WHERE f.first_of_player AND ("
    " (f.event_time <= s.event_time AND (f.score, f.lives, f.shots, f.level, f.event_time)"
    " IS DISTINCT FROM (s.current_score, s.current_lives, s.current_shots, s.current_level, s.event_time))"
    " OR (s.current_lives > 0 AND f.event_time > s.event_time AND ("
    " f.event_time - s.event_time < %s"
    " OR f.lives > s.current_lives OR f.score < s.current_score OR f.shots < s.current_shots"
    " OR f.level < s.current_level"
    # (a microsecond of slack against Python's float arithmetic: never fewer suspects)
    " OR (f.shots - s.current_shots > %s AND f.shots - s.current_shots"
    " > EXTRACT(EPOCH FROM f.event_time - s.event_time)::float8 * %s + %s - 0.000001))))"
)


def cheat_suspects_postgresql(cursor: Any, *, screen: BatchScreen) -> set[PlayerKey]:
    """Return the staged batch's cheat suspects: the screen's, and those whose first snapshot breaks a rule
    with their standing. Runs inside the batch transaction, before the standings move.
    """
    limits = screen.limits
    cursor.execute(
        FIRSTS_AGAINST_STANDINGS,
        [
            limits.min_status_interval,
            limits.fire_rate_slack_shots,
            limits.max_shots_per_second,
            limits.fire_rate_slack_shots,
        ],
    )
    return screen.suspects | {(session_pk, nickname) for session_pk, nickname in cursor.fetchall()}


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
