"""Fixtures of the scoreboard tests: sessions, a held shard lease, a clean Redis index."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from alienportal.redis_clients import redis_client
from scoreboard.models import ShardLease, ShardMetrics
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


class GamePortal:
    """The live portal's game API on a stream and SSM parameter of the test's own, trusting moto's pool."""

    def __init__(self, *, url: str, stream: str) -> None:
        self.url = url
        self.stream = stream
        self._draining = threading.Event()
        self._drainer: threading.Thread | None = None

    def publish(self) -> None:
        """Copy the current session to SSM now (the Celery task's work, done in the test's thread)."""
        from sessions.services import session_publish

        session_publish()

    def drain(self, seconds: float) -> None:
        call_command("stream_drain", seconds=seconds, stream=self.stream)

    def drain_in_background(self) -> None:
        """Keep the pipeline draining the stream (as the demo's stream worker) until `drain_stop()`."""
        self._draining.set()

        def loop() -> None:
            try:
                while self._draining.is_set():
                    self.drain(3.0)
            finally:
                connection.close()

        self._drainer = threading.Thread(target=loop, daemon=True)
        self._drainer.start()

    def drain_stop(self) -> None:
        self._draining.clear()
        if self._drainer is not None:
            self._drainer.join(timeout=30)
            self._drainer = None


@pytest.fixture
def game_portal(live_server, provisioned, stream, settings) -> Iterator[GamePortal]:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from alienportal.auth.jwks import jwks_cache_clear

    settings.COGNITO_USER_POOL_ID = provisioned.user_pool_id
    settings.COGNITO_ISSUER = ""
    settings.COGNITO_JWKS_URL = ""
    settings.GAME_API_CLIENT_IDS = [provisioned.game_client_id]
    settings.API_THROTTLE_RATE = None
    tag = uuid.uuid4().hex[:10]
    settings.SSM_SESSION_PARAMETER = f"/test-{tag}/session"
    jwks_cache_clear()
    cache.clear()
    portal = GamePortal(url=live_server.url, stream=stream)
    yield portal
    portal.drain_stop()
