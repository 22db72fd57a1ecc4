"""Cheat flags in the drain: check each player's new snapshots of a batch, store what breaks a rule.

Runs inside the batch transaction, so flags commit with the standings they were raised on (and a
replayed batch raises nothing twice: a flag is one row per session, player and rule).
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


def cheat_flags_batch(*, accepted: Iterable[Any], now: datetime) -> int:
    """Check the accepted snapshots of a batch (before their standings are written) and store flags."""
    limits = Limits.current()
    if limits is None:
        return 0
    statuses: dict[PlayerKey, list[Status]] = {}
    sessions: dict[int, GameSession] = {}
    for item in accepted:
        snapshot = item.snapshot
        sessions[item.session.pk] = item.session
        statuses.setdefault((item.session.pk, snapshot.nickname), []).append(
            Status(snapshot.score, snapshot.lives, snapshot.shots, snapshot.level, snapshot.timestamp)
        )
    findings = cheat_flags_find(
        statuses=statuses,
        previous=previous_statuses(players=statuses),
        sessions=sessions,
        limits=limits,
    )
    return cheat_flags_write(findings=findings, now=now)
