"""Fixtures of the scoreboard tests: a clean Redis index, the live portal's game API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.scoreboard.game_portal import GamePortal


@pytest.fixture(autouse=True)
def _clean_redis(redis_flushed: None) -> None:
    """Each test starts with an empty ranking index."""


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
