"""Fixtures of the contract tests: moto's Cognito pool trusted as production trusts Cognito, and game clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from alienportal.auth.jwks import jwks_cache_clear
from tests.contract.game import GameClient, Pool


@pytest.fixture
def pool(provisioned, settings) -> Pool:  # type: ignore[no-untyped-def]
    """Trust the provisioned moto pool as production trusts Cognito: the game API takes the game client."""
    settings.COGNITO_USER_POOL_ID = provisioned.user_pool_id
    settings.COGNITO_ISSUER = ""
    settings.COGNITO_JWKS_URL = ""
    settings.GAME_API_CLIENT_IDS = [provisioned.game_client_id]
    settings.API_THROTTLE_RATE = None
    jwks_cache_clear()
    cache.clear()
    return Pool(provisioned=provisioned)


@pytest.fixture
def manager(pool: Pool) -> GameClient:
    return pool.sign_in("manager", "Manager-pass-1")


@pytest.fixture
def anonymous() -> GameClient:
    return GameClient(id_token=None, http=Client())
