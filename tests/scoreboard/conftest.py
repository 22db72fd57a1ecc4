"""Fixtures of the scoreboard tests: sessions, a held shard lease, a clean Redis index."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from scoreboard.models import ShardLease, ShardMetrics
from scoreboard.ranking import redis_client
from scoreboard.stream.leases import Fence, lease_acquire
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameSession, GameType

BASE_TIME = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    # The test settings give the suite a Redis database of its own.
    redis_client().flushdb()


@pytest.fixture
def make_session() -> Callable[..., GameSession]:
    def make(session_id: str = "X261127T100000", closing_time: datetime | None = None, **extra) -> GameSession:  # type: ignore[no-untyped-def]
        return GameSession.objects.create(
            session_id=session_id,
            game_type=extra.pop("game_type", GameType.MULTIPLE_TRIALS),
            opening_time=BASE_TIME - timedelta(hours=1),
            closing_time=closing_time,
            **extra,
        )

    return make


@pytest.fixture
def fence() -> Fence:
    lease = ShardLease.objects.create(stream_name="test-stream", shard_id="shardId-000000000000")
    ShardMetrics.objects.create(lease=lease)
    acquired = lease_acquire(stream_name="test-stream", shard_id="shardId-000000000000", owner="tester")
    assert acquired is not None
    return acquired


def record(sequence: int, session_id: str = "X261127T100000", nickname: str = "ann", **fields) -> StreamRecord:  # type: ignore[no-untyped-def]
    """A GetRecords-shaped record carrying one snapshot; `seconds` offsets its timestamp from BASE_TIME."""
    moment = BASE_TIME + timedelta(seconds=fields.pop("seconds", 0))
    body = {
        "SessionId": session_id,
        "Nickname": nickname,
        "Score": fields.pop("score", 100),
        "Lives": fields.pop("lives", 3),
        "Shots": fields.pop("shots", 10),
        "Level": fields.pop("level", 1),
        "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
    }
    body.update(fields)
    return StreamRecord(sequence, json.dumps(body).encode())


def now() -> datetime:
    return timezone.now()
