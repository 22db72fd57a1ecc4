"""Cheat rules over a player's snapshots: honest games pass, each impossible move is named once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoreboard.cheats import Limits, Rule, Status, statuses_check

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LIMITS = Limits(
    max_shots_per_second=2.0,
    fire_rate_slack_shots=1,
    points_per_hit=5,
    level_bonus=50,
    invaders_per_level=50,
    min_status_interval=timedelta(milliseconds=10),
    clock_skew=timedelta(seconds=5),
)


def at(ms: int, *, score: int = 0, lives: int = 3, shots: int = 0, level: int = 1) -> Status:
    return Status(score=score, lives=lives, shots=shots, level=level, event_time=T0 + timedelta(milliseconds=ms))


def check(*statuses: Status, previous: Status | None = None, closing: datetime | None = None) -> list[Rule]:
    findings = statuses_check(statuses, previous=previous, opening=T0, closing=closing, limits=LIMITS)
    return [finding.rule for finding in findings]


def honest_game(steps: list[tuple[int, bool]]) -> list[Status]:
    """Play the original game's rules: a shot every >= 500 ms, some hit, levels clear at 50 hits."""
    statuses, ms, hits, level, score, lives = [], 0, 0, 1, 0, 3
    for shots, (wait, hit) in enumerate(steps, start=1):
        ms += 500 + wait
        if hit:
            hits += 1
            score += 5
            if hits == 50 * level:
                statuses.append(at(ms, score=score, lives=lives, shots=shots, level=level))
                score += level * 50
                level += 1
                ms += 300
        statuses.append(at(ms, score=score, lives=lives, shots=shots, level=level))
    return statuses


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.booleans()), min_size=1, max_size=300))
def test_honest_games_break_no_rule(steps: list[tuple[int, bool]]) -> None:
    statuses = honest_game(steps)
    assert check(*statuses) == []


def test_a_player_at_level_3_with_the_bonuses_is_honest() -> None:
    # 120 hits (levels 1 and 2 cleared: 100, plus 20) and bonuses 50 + 100.
    assert check(at(0, score=120 * 5 + 150, shots=130, level=3)) == []


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        (at(0, score=7, shots=5), Rule.IMPOSSIBLE_SCORE),  # not a multiple of 5
        (at(0, score=50, shots=5), Rule.IMPOSSIBLE_SCORE),  # 10 hits with 5 rockets
        (at(0, score=300, shots=100, level=1), Rule.IMPOSSIBLE_SCORE),  # 60 hits on a level of 50
        (at(0, score=100, shots=100, level=3), Rule.IMPOSSIBLE_SCORE),  # level 3 without clearing 1 and 2
        (at(-6000, score=0), Rule.OUTSIDE_SESSION),
    ],
)
def test_a_single_impossible_snapshot_is_named(status: Status, rule: Rule) -> None:
    assert check(status) == [rule]


def test_pair_rules_name_each_impossible_move_once() -> None:
    start = at(0, score=10, shots=4, lives=2)
    assert check(at(1000, score=10, shots=8, lives=2), previous=start) == [Rule.FIRE_RATE]  # 4 shots in 1 s
    assert check(at(1000, score=10, shots=7, lives=2), previous=start) == []  # 3 = 2/s + 1
    assert check(at(1000, score=10, shots=4, lives=3), previous=start) == [Rule.LIVES_UP]
    assert check(at(1000, score=5, shots=4, lives=2), previous=start) == [Rule.BACKWARDS]
    assert check(at(5, score=10, shots=4, lives=1), previous=start) == [Rule.TOO_FAST]
    # Many repeats of a pattern still make one finding per rule.
    many = [at(1000 + i * 1000, score=10, shots=4, lives=3 + i % 2) for i in range(10)]
    assert check(*many, previous=start) == [Rule.LIVES_UP]


def test_a_new_game_after_lives_zero_starts_from_scratch() -> None:
    over = at(0, score=500, shots=150, lives=0, level=2)  # 90 hits + 50 bonus
    assert check(over) == []
    assert check(at(2000, score=0, shots=0, lives=3, level=1), previous=over) == []


def test_after_closing_is_outside_the_session_beyond_the_skew() -> None:
    closing = T0 + timedelta(minutes=1)
    assert check(at(64_000), closing=closing) == []
    assert check(at(66_000), closing=closing) == [Rule.OUTSIDE_SESSION]


def test_duplicates_and_late_arrivals_raise_nothing() -> None:
    standing = at(2000, score=10, shots=4, lives=2)
    assert check(at(2000, score=10, shots=4, lives=2), previous=standing) == []  # delivered twice
    assert check(at(1000, score=5, shots=2, lives=3), previous=standing) == []  # older, arrived late
    assert check(at(1000, score=5, shots=2), at(1000, score=5, shots=2), at(1600, score=5, shots=3)) == []


def test_evidence_reads_as_statuses_then_figures() -> None:
    from scoreboard.evidence import evidence_lines

    evidence = {
        "snapshot": {"Score": 10, "Lives": 5, "Shots": 42, "Level": 1, "Timestamp": "2026-11-27T10:00:03+00:00"},
        "previous": {"Score": 10, "Lives": 5, "Shots": 2, "Level": 1, "Timestamp": "2026-11-27T10:00:02+00:00"},
        "shots": 40,
        "max_shots_per_second": 2.0,
    }
    expected = [
        "previous: Score 10 · Lives 5 · Shots 2 · Level 1 · 2026-11-27T10:00:02+00:00",
        "snapshot: Score 10 · Lives 5 · Shots 42 · Level 1 · 2026-11-27T10:00:03+00:00",
        "shots 40 · max shots per second 2.0",
    ]
    assert evidence_lines(evidence) == expected
    # Stored as JSON, the evidence comes back in another key order: the lines do not change.
    shuffled = {name: evidence[name] for name in ("shots", "snapshot", "max_shots_per_second", "previous")}
    shuffled["snapshot"] = dict(sorted(evidence["snapshot"].items()))
    assert evidence_lines(shuffled) == expected
