"""Fixtures of the reports API tests: callers of every role, and sessions played through the drain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from alienportal.access import Role
from tests.factories import Played, ProviderUserFactory
from tests.portal import portal_client
from tests.reports.callers import MANAGER, PLAYER, PLAYER_TOKEN, REST_CLIENT, REST_CLIENT_NO_SCOPE, SUPPORT
from tests.tokens import GAME_CLIENT_ID, claims_for


@pytest.fixture(autouse=True)
def _clean_state(redis_flushed: None, token_caches_cleared: None) -> None:
    """Each test starts with an empty ranking index, no cached signing keys and no spent rate budgets."""


@pytest.fixture
def callers(own_pool, settings, test_key) -> Callable[[str], Client]:  # type: ignore[no-untyped-def]
    """A test client per kind of caller: people signed in through the provider, and token holders."""
    settings.API_THROTTLE_RATE = None  # many requests from one client; throttling has its own tests
    people = {PLAYER: Role.PLAYERS, SUPPORT: Role.SUPPORT, MANAGER: Role.MANAGERS}
    tokens = {
        REST_CLIENT: test_key.sign(claims_for()),
        REST_CLIENT_NO_SCOPE: test_key.sign(claims_for(scope="other/read")),
        PLAYER_TOKEN: test_key.sign(
            claims_for(
                sub="sub-player",
                client_id=GAME_CLIENT_ID,
                scope="aws.cognito.signin.user.admin",
                username="player",
                **{"cognito:groups": ["Players"]},
            )
        ),
    }
    made: dict[str, Client] = {}

    def client(role: str) -> Client:
        if role not in made:
            if role in people:
                made[role] = portal_client(ProviderUserFactory(username=role, roles=[people[role]]))
            else:
                made[role] = Client()
                if role in tokens:
                    made[role].defaults["HTTP_AUTHORIZATION"] = f"Bearer {tokens[role]}"
        return made[role]

    return client


@pytest.fixture
def rest(callers) -> Client:  # type: ignore[no-untyped-def]
    """The reports client with scope reports/read."""
    return callers(REST_CLIENT)


@pytest.fixture
def played(fence) -> Played:  # type: ignore[no-untyped-def]
    return Played(fence)
