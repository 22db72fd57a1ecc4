"""Celery drains the stream: beat's sync task starts a drain task per shard on a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from alienportal.aws import aws_client
from scoreboard.models import ShardLease
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.tasks import stream_shards_sync
from tests.scoreboard.replay import assert_matches_replay, stream_read_all, stream_replay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SESSION_ID = "X261127T110000"
ROOT = Path(__file__).resolve().parents[2]


def test_the_beat_schedule_runs_shard_discovery_often_enough_for_a_15_second_takeover() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["scoreboard-shards-sync"]
    assert entry["task"] == stream_shards_sync.name
    assert settings.STREAM_LEASE_SECONDS + entry["schedule"] <= 15
    assert settings.CELERY_TASK_ROUTES["scoreboard.tasks.stream_shard_drain"] == {"queue": "stream"}


def test_a_celery_worker_drains_every_shard(stream, make_session, settings) -> None:  # type: ignore[no-untyped-def]
    kinesis = aws_client("kinesis")
    closing = datetime.now(UTC) + timedelta(minutes=30)
    make_session(session_id=SESSION_ID, closing_time=closing)
    simulator = GameSimulator(
        session_id=SESSION_ID, players=20, faults=FaultPlan(malformed=3, duplicates=3), closing_time=closing, seed=9
    )
    simulation_run(simulator=simulator, kinesis=kinesis, stream_name=stream, count=600, rate=5000)
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "KINESIS_STREAM_NAME": stream,
        "STREAM_DRAIN_SECONDS": "3",
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.test",
        "DJANGO_READ_DOT_ENV": "0",
    }
    log = (ROOT / "var" / "test-logs" / f"{stream}-celery.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "alienportal",
            "worker",
            "-Q",
            "celery,stream",
            "--pool",
            "threads",
            "--concurrency",
            "3",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        stream_shards_sync.delay()  # what beat does every STREAM_SYNC_SECONDS
        expected = stream_replay(stream_read_all(kinesis, stream), closing={}).last_sequence
        deadline = time.monotonic() + 60
        done: dict[str, int] = {}
        while time.monotonic() < deadline and done != expected:
            time.sleep(0.5)
            done = {
                lease.shard_id: int(lease.checkpoint)
                for lease in ShardLease.objects.filter(stream_name=stream, checkpoint__isnull=False)
            }
        assert done == expected
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert_matches_replay(stream, {SESSION_ID: closing})
