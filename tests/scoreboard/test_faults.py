"""Workers killed mid-batch, racing workers and a database that goes away lose nothing and count nothing twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from alienportal.aws import aws_client
from alienportal.redis_clients import redis_client
from scoreboard.models import ShardLease
from scoreboard.selectors import ranking_player_rank
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from sessions.models import GameSession
from tests.machine import LOG_DIR
from tests.scoreboard.replay import assert_matches_replay, stream_read_all, stream_replay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SESSION_ID = "X261127T110000"
ROOT = Path(__file__).resolve().parents[2]


def _worker(stream: str, seconds: float, tag: str) -> subprocess.Popen:
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "KINESIS_STREAM_NAME": stream,
        "STREAM_LEASE_SECONDS": "2",
        "STREAM_SYNC_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.test",
        "DJANGO_READ_DOT_ENV": "0",
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{stream}-{tag}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "stream_drain", "--seconds", str(seconds), "--limit", "200"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def _produce(stream: str, closing: datetime, count: int, rate: float) -> threading.Thread:
    faults = FaultPlan(malformed=15, wrong_types=10, unknown_session=10, late=12, duplicates=20)
    simulator = GameSimulator(session_id=SESSION_ID, players=60, faults=faults, closing_time=closing, seed=11)
    thread = threading.Thread(
        target=simulation_run,
        kwargs={
            "simulator": simulator,
            "kinesis": aws_client("kinesis"),
            "stream_name": stream,
            "count": count,
            "rate": rate,
        },
    )
    thread.start()
    return thread


def _wait_caught_up(stream: str, timeout: float) -> None:
    expected = stream_replay(stream_read_all(aws_client("kinesis"), stream), closing={}).last_sequence
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = {
            lease.shard_id: int(lease.checkpoint)
            for lease in ShardLease.objects.filter(stream_name=stream, checkpoint__isnull=False)
        }
        if done == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"not caught up: {done} != {expected}")


def _assert_index_matches_postgresql(session: GameSession) -> None:
    """Every player's rank from the Redis index equals a count in PostgreSQL."""
    rows = list(session_standings(session))
    keys = [key for _, key in rows]
    assert keys == sorted(keys)
    for position, (nickname, _) in enumerate(rows, start=1):
        assert ranking_player_rank(session=session, nickname=nickname) == position
    assert redis_client().zcard(f"{settings.APP_NAME}:ranking:{session.pk}:keys") == len(rows)


def session_standings(session: GameSession):  # type: ignore[no-untyped-def]
    from scoreboard.models import Standing

    return Standing.objects.filter(session=session).order_by("rank_key").values_list("nickname", "rank_key")


def test_workers_killed_repeatedly_mid_stream_lose_nothing_and_count_nothing_twice(stream, make_session) -> None:
    closing = datetime.now(UTC) + timedelta(minutes=30)
    session = make_session(session_id=SESSION_ID, closing_time=closing)
    producer = _produce(stream, closing, count=4000, rate=800)
    rng = random.Random(5)
    kills = 0
    while producer.is_alive() or kills < 6:
        # Two workers at once race for the shards; one of them is killed.
        survivors = [_worker(stream, 60, f"a{kills}"), _worker(stream, 60, f"b{kills}")]
        time.sleep(rng.uniform(0.8, 2.5))
        victim = survivors.pop(rng.randrange(2))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        time.sleep(rng.uniform(0.0, 0.5))
        survivors[0].send_signal(signal.SIGKILL)
        survivors[0].wait()
        kills += 2
    producer.join()
    final = _worker(stream, 120, "final")
    try:
        _wait_caught_up(stream, timeout=90)
        time.sleep(0.5)  # let the last on-commit index update land
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=30)

    assert kills >= 6
    assert_matches_replay(stream, {SESSION_ID: closing})
    _assert_index_matches_postgresql(session)


def test_the_database_going_away_is_survived_without_loss(stream, make_session) -> None:
    closing = datetime.now(UTC) + timedelta(minutes=30)
    make_session(session_id=SESSION_ID, closing_time=closing)
    producer = _produce(stream, closing, count=2500, rate=800)
    worker = _worker(stream, 120, "dbdown")
    try:
        name = settings.DATABASES["default"]["NAME"]
        cuts = 0
        while producer.is_alive() or cuts < 5:
            time.sleep(0.7)
            with connection.cursor() as cursor:
                # Every backend of the test database but ours: the worker's connections die mid-work.
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
            cuts += 1
        producer.join()
        _wait_caught_up(stream, timeout=90)
        assert worker.poll() is None  # it backed off and carried on rather than dying
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert_matches_replay(stream, {SESSION_ID: closing})
