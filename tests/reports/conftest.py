"""Fixtures of the reports API tests: callers of every role, and sessions played through the drain."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from alienportal.auth.services import user_from_claims, user_roles_sync
from scoreboard.stream.leases import Fence
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameSession, GameType
from tests.alienportal.auth.conftest import (  # noqa: F401 - fixtures
    GAME_CLIENT_ID,
    REPORTS_CLIENT_ID,
    _fresh_caches,
    claims_for,
    jwks_server,
    own_pool,
    test_key,
)
from tests.conftest import portal_client
from tests.scoreboard.conftest import BASE_TIME, _clean_redis, fence  # noqa: F401 - fixtures

ANONYMOUS = "anonymous"
PLAYER = "player"
PLAYER_TOKEN = "player_token"
SUPPORT = "support"
MANAGER = "manager"
REST_CLIENT = "rest_client"
REST_CLIENT_NO_SCOPE = "rest_client_no_scope"
ROLES = (ANONYMOUS, PLAYER, PLAYER_TOKEN, SUPPORT, MANAGER, REST_CLIENT, REST_CLIENT_NO_SCOPE)


def person(role: str, groups: list[str]) -> User:
    user = user_from_claims(issuer="http://provider.test", claims={"sub": f"sub-{role}", "cognito:username": role})
    user_roles_sync(user=user, groups=groups)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def callers(own_pool, settings, test_key) -> Callable[[str], Client]:  # type: ignore[no-untyped-def]  # noqa: F811
    """A test client per kind of caller: people signed in through the provider, and token holders."""
    settings.API_THROTTLE_RATE = None  # many requests from one client; throttling has its own tests
    people = {PLAYER: ["Players"], SUPPORT: ["Support"], MANAGER: ["Managers"]}
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
                made[role] = portal_client(person(role, people[role]))
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


def snapshot(sequence: int, session_id: str, nickname: str, *, score: int, lives: int = 3, shots: int = 10,
             seconds: int = 0) -> StreamRecord:  # fmt: skip
    moment = BASE_TIME + timedelta(seconds=seconds)
    body = {
        "SessionId": session_id,
        "Nickname": nickname,
        "Score": score,
        "Lives": lives,
        "Shots": shots,
        "Level": 1,
        "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
    }
    return StreamRecord(sequence, json.dumps(body).encode())


class Played:
    """Sessions and their standings, written through the drain's own path (batch_persist)."""

    def __init__(self, fence: Fence) -> None:  # noqa: F811
        self.fence = fence
        self.sequence = 0

    def session(self, session_id: str, *, hours_ago: float = 1, closed: bool = True, **extra: Any) -> GameSession:
        opened = BASE_TIME - timedelta(hours=hours_ago)
        return GameSession.objects.create(
            session_id=session_id,
            game_type=extra.pop("game_type", GameType.MULTIPLE_TRIALS),
            opening_time=opened,
            closing_time=BASE_TIME + timedelta(hours=1) if closed else None,
            **extra,
        )

    def scores(self, session_id: str, scores: dict[str, int], **fields: Any) -> None:
        records = []
        for nickname, score in scores.items():
            self.sequence += 1
            records.append(snapshot(self.sequence, session_id, nickname, score=score, seconds=self.sequence, **fields))
        batch_persist(fence=self.fence, records=records)

    def raw(self, data: bytes) -> None:
        self.sequence += 1
        batch_persist(fence=self.fence, records=[StreamRecord(self.sequence, data)])


@pytest.fixture
def played(fence) -> Played:  # type: ignore[no-untyped-def]  # noqa: F811
    return Played(fence)


def body(response: Any) -> Any:
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
