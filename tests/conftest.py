"""Suite-wide fixtures: moto in server mode provisioned like the demo, streams, a held shard lease,
sessions, the test signing key and its JWKS endpoint, clean Redis and caches for the folders that ask."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from alienportal.auth.jwks import jwks_cache_clear
from alienportal.auth.tokens import verified_tokens_clear
from alienportal.devstack.services import MOTO_CREDENTIALS, ChildService, moto_start
from alienportal.redis_clients import redis_client
from scoreboard.models import ShardLease, ShardMetrics
from scoreboard.stream.leases import Fence, lease_acquire
from sessions.models import GameSession
from tests.factories import GameSessionFactory
from tests.machine import CHROMIUM, CHROMIUM_ARGS, LOG_DIR
from tests.streams import stream_create
from tests.tokens import (
    GAME_CLIENT_ID,
    REPORTS_CLIENT_ID,
    TEST_ISSUER,
    JwksServer,
    SigningKey,
    jwks_served,
    signing_key_new,
)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[ChildService]:
    """Run moto_server on a free loopback port for the whole test session."""
    for key, value in MOTO_CREDENTIALS.items():
        os.environ[key] = value
    server = moto_start(log_dir=LOG_DIR)
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def aws_endpoint(moto_server: ChildService) -> Iterator[str]:
    """Point every boto3 client (and every child process) at the test moto server."""
    previous = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = moto_server.url
    os.environ["AWS_ENDPOINT_URL"] = moto_server.url
    yield moto_server.url
    settings.AWS_ENDPOINT_URL = previous


@pytest.fixture(scope="session")
def provisioned(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Provision the stream, bucket, parameter and Cognito pool once for the session."""
    from alienportal.provisioning import aws_provision

    return aws_provision()


@pytest.fixture
def stream(request: pytest.FixtureRequest, provisioned: Any, settings: Any) -> str:
    """A Kinesis stream of the test's own, made the portal's stream (KINESIS_STREAM_NAME) for the test.

    Two shards; a module or test that needs another count says so: `pytest.mark.shards(1)`.
    """
    marker = request.node.get_closest_marker("shards")
    name = f"test-{uuid.uuid4().hex[:16]}"
    stream_create(name, shards=marker.args[0] if marker else 2)
    settings.KINESIS_STREAM_NAME = name
    return name


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it through scripts/ensure-system-packages")
    # Playwright's sync API runs an event loop in this thread; the test body's own ORM calls are
    # still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def redis_flushed() -> None:
    """Empty the suite's Redis database (the test settings give the suite one of its own)."""
    redis_client().flushdb()


@pytest.fixture
def token_caches_cleared() -> Iterator[None]:
    """No cached signing keys or verified tokens and no spent rate budgets, before and after the test."""
    jwks_cache_clear()
    verified_tokens_clear()
    cache.clear()
    yield
    jwks_cache_clear()
    verified_tokens_clear()


@pytest.fixture
def fence() -> Fence:
    """A held lease of one shard of "test-stream": what the drain holds while it writes a batch."""
    lease = ShardLease.objects.create(stream_name="test-stream", shard_id="shardId-000000000000")
    ShardMetrics.objects.create(lease=lease)
    acquired = lease_acquire(stream_name="test-stream", shard_id="shardId-000000000000", owner="tester")
    assert acquired is not None
    return acquired


@pytest.fixture
def make_session() -> Callable[..., GameSession]:
    """Open a session through the service (GameSessionFactory), opened an hour before BASE_TIME."""

    def make(session_id: str = "X261127T100000", closing_time: datetime | None = None, **extra: Any) -> GameSession:
        return GameSessionFactory(session_id=session_id, closing_time=closing_time, **extra)

    return make


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[JwksServer]:
    """Serve a JWKS document on loopback whose keys a test can change; count the fetches."""
    with jwks_served() as server:
        yield server


@pytest.fixture(scope="session")
def test_key() -> SigningKey:
    return signing_key_new("test-key-1")


@pytest.fixture
def own_pool(settings, jwks_server: JwksServer, test_key: SigningKey) -> JwksServer:  # type: ignore[no-untyped-def]
    """Trust the loopback JWKS and the test issuer, as a deployment trusts its Cognito pool."""
    jwks_server.keys = [test_key.public_jwk()]
    jwks_server.requests = 0
    settings.COGNITO_JWKS_URL = jwks_server.url
    settings.COGNITO_ISSUER = TEST_ISSUER
    settings.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID]
    settings.GAME_API_CLIENT_IDS = [GAME_CLIENT_ID]
    return jwks_server
