"""A player ranks by the better of their current game and their best finished game (DESIGN.md).

The property test plays random multi-game trails, delivers them over two shards in random
order, random batches and with duplicates, and compares every standing's three games and the
Redis index against a computation written here from the rule alone.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoreboard.models import ScoreEvent, ShardLease, ShardMetrics, Standing
from scoreboard.ranking import ranking_index_read
from scoreboard.selectors import ranking_top
from scoreboard.stream.leases import lease_acquire
from scoreboard.stream.persist import batch_persist
from sessions.models import GameType
from tests.factories import record

pytestmark = pytest.mark.django_db(transaction=True)
SESSION_ID = "X261127T100000"
SHARDS = ("shardId-000000000000", "shardId-000000000001")


@dataclass(frozen=True)
class Sent:
    nickname: str
    score: int
    lives: int
    shots: int
    level: int
    seconds: float
    shard: int
    sequence: int

    def ranking(self) -> tuple:
        """Score desc, Lives desc, Shots asc, Nickname asc."""
        return (-self.score, -self.lives, self.shots, self.nickname)

    def position(self) -> tuple:
        """When it was played: its timestamp, then where it sits on the stream."""
        return (self.seconds, SHARDS[self.shard], self.sequence)


def _games(rng: random.Random, nicknames: list[str]) -> list[Sent]:
    """Each player plays 1-4 games one after another; the last may still be going."""
    sent: list[Sent] = []
    sequences = [0, 0]
    for nickname in nicknames:
        clock = rng.uniform(0, 5)
        for game in range(rng.randint(1, 4)):
            lives, score, shots, level = 3, 0, 0, 1
            finishes = game < 3 and rng.random() < 0.8
            for _ in range(rng.randint(1, 6)):
                # Coarse values: equal scores and shots happen, so the tie-breaks are exercised.
                score += rng.choice([0, 5, 10, 50])
                shots += rng.choice([0, 1, 2])
                level += rng.choice([0, 0, 1])
                lives = max(1, lives - rng.choice([0, 0, 1]))
                clock += rng.choice([0.0, 0.25, 1.0])  # equal timestamps too
                shard = rng.randrange(2)
                sequences[shard] += 1
                sent.append(Sent(nickname, score, lives, shots, level, clock, shard, sequences[shard]))
            if finishes:
                clock += 0.5
                shard = rng.randrange(2)
                sequences[shard] += 1
                sent.append(Sent(nickname, score, 0, shots, level, clock, shard, sequences[shard]))
    return sent


def _expected(sent: list[Sent]) -> dict[str, tuple]:
    """Per player: (ranked game, current game, best finished game), each as its values."""
    result: dict[str, tuple] = {}
    for nickname in {item.nickname for item in sent}:
        mine = [item for item in sent if item.nickname == nickname]
        current = max(mine, key=Sent.position)
        finished = [item for item in mine if item.lives == 0]
        best = min(finished, key=lambda item: (item.ranking(), item.position())) if finished else None
        ranked = best if best is not None and best.ranking() < current.ranking() else current

        def values(item: Sent | None) -> tuple | None:
            return None if item is None else (item.score, item.lives, item.shots, item.level)

        result[nickname] = (values(ranked), values(current), values(best))
    return result


def _fences() -> list:
    fences = []
    for shard_id in SHARDS:
        lease = ShardLease.objects.create(stream_name="best-game", shard_id=shard_id)
        ShardMetrics.objects.create(lease=lease)
        fences.append(lease_acquire(stream_name="best-game", shard_id=shard_id, owner="tester"))
    return fences


def _deliver(rng: random.Random, sent: list[Sent], fences: list) -> None:
    """Each shard's records in a random order (as a late or re-sharded delivery would), random batches, duplicates."""
    for shard, fence in enumerate(fences):
        records = [
            record(
                item.sequence,
                session_id=SESSION_ID,
                nickname=item.nickname,
                score=item.score,
                lives=item.lives,
                shots=item.shots,
                level=item.level,
                seconds=item.seconds,
            )
            for item in sent
            if item.shard == shard
        ]
        records += rng.sample(records, len(records) // 5)  # delivered twice
        rng.shuffle(records)
        start = 0
        while start < len(records):
            size = rng.randint(1, 25)
            batch_persist(fence=fence, records=records[start : start + size])
            start += size


def _stored() -> dict[str, tuple]:
    def game(*values: int | None) -> tuple | None:
        return None if values[0] is None else tuple(values)

    return {
        row.nickname: (
            (row.score, row.lives, row.shots, row.level),
            (row.current_score, row.current_lives, row.current_shots, row.current_level),
            game(row.best_score, 0 if row.best_score is not None else None, row.best_shots, row.best_level),
        )
        for row in Standing.objects.all()
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_best_game_ranking_is_exact_whatever_the_arrival_order(make_session, seed: int) -> None:
    # One example after another in the same test database: start each from nothing.
    Standing.objects.all().delete()
    ScoreEvent.objects.all().delete()
    ShardLease.objects.all().delete()
    session = make_session(session_id=SESSION_ID)  # a new primary key: its Redis index starts empty
    rng = random.Random(seed)
    sent = _games(rng, [f"p{index}" for index in range(rng.randint(1, 8))])
    _deliver(rng, sent, _fences())

    expected = _expected(sent)
    assert _stored() == expected
    ranked = sorted(
        expected, key=lambda name: (-expected[name][0][0], -expected[name][0][1], expected[name][0][2], name)
    )
    assert [row.nickname for row in ranking_top(session=session, limit=100)] == ranked
    # The Redis index holds each player's ranked key, as PostgreSQL does.
    players, keys = ranking_index_read(session_pk=session.pk)
    assert players == dict(Standing.objects.values_list("nickname", "rank_key"))
    assert keys == sorted(players.values())
    session.delete()


def test_the_demo_sqlite_writer_applies_the_same_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "tests.scoreboard.best_game_sqlite", "25"],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == {"agreed": 25, "failed": None}


def test_a_leader_who_starts_a_new_game_keeps_his_place_and_shows_both_games(make_session, fence) -> None:
    session = make_session()
    batch_persist(
        fence=fence,
        records=[
            record(1, nickname="leader", score=5505, lives=0, shots=40, seconds=10),
            record(2, nickname="rival", score=900, lives=2, shots=9, seconds=11),
        ],
    )
    batch_persist(fence=fence, records=[record(3, nickname="leader", score=0, lives=3, shots=0, seconds=21)])

    assert [row.nickname for row in ranking_top(session=session, limit=10)] == ["leader", "rival"]
    leader = Standing.objects.get(nickname="leader")
    assert (leader.score, leader.lives, leader.current_score, leader.current_lives) == (5505, 0, 0, 3)
    assert leader.ranks_best_game


def test_in_a_one_game_session_the_rank_is_the_latest_snapshot(make_session, fence) -> None:
    make_session(game_type=GameType.SINGLE_TRIAL)
    batch_persist(fence=fence, records=[record(2, score=40, lives=0, seconds=20), record(1, score=30, seconds=10)])

    standing = Standing.objects.get()
    assert (standing.score, standing.lives) == (standing.current_score, standing.current_lives) == (40, 0)
    assert not standing.ranks_best_game
