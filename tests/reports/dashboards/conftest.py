"""Fixtures of the dashboard tests: people in each role, a session with standings, a signed-in browser."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import TestCase

from alienportal.access import Role
from scoreboard.stream.leases import Fence
from scoreboard.stream.persist import batch_persist
from sessions.models import GameSession, GameType
from tests.conftest import portal_client
from tests.scoreboard.conftest import BASE_TIME, _clean_redis, fence, record  # noqa: F401  (fixtures)
from tests.sessions.conftest import user_in

# The README names this folder: every dashboard browser test saves its screenshots here.
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "dashboards"
SESSION_ID = "X261127T100000"


@pytest.fixture
def manager(db: None) -> User:
    return user_in(Role.MANAGERS, "mia-manager")


@pytest.fixture
def support(db: None) -> User:
    return user_in(Role.SUPPORT, "sam-support")


@pytest.fixture
def player(db: None) -> User:
    return user_in(Role.PLAYERS, "pete-player")


@pytest.fixture
def game_session(db: None) -> GameSession:
    """An open session whose opening time precedes the test records' timestamps."""
    return GameSession.objects.create(
        session_id=SESSION_ID,
        game_type=GameType.MULTIPLE_TRIALS,
        opening_time=BASE_TIME - timedelta(hours=1),
        top_x=5,
    )


_sequence = itertools.count(1)


@pytest.fixture
def standings_put(fence: Fence) -> Callable[..., None]:  # noqa: F811
    """Put snapshots through the drain's own write path: (nickname, score, lives, shots) each."""

    def put(rows: list[tuple[str, int, int, int]], *, session_id: str = SESSION_ID, seconds: int = 0) -> None:
        records = [
            record(
                next(_sequence),
                session_id=session_id,
                nickname=nickname,
                score=score,
                lives=lives,
                shots=shots,
                seconds=seconds,
            )
            for nickname, score, lives, shots in rows
        ]
        # After-commit work (Redis index, live revision) runs in non-transactional tests too.
        with TestCase.captureOnCommitCallbacks(execute=True):
            batch_persist(fence=fence, records=records)

    return put


def dash_update(client: Any, app: str, body: dict[str, Any]) -> Any:
    """POST one callback to django-plotly-dash's update endpoint, as Dash's renderer does."""
    return client.post(
        f"/reports/dashboards/dash/app/{app}/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
    )


def signed_in_context(browser: Any, live_server: Any, user: User) -> Any:
    """A browser context carrying `user`'s portal session cookie (signed in as the provider would)."""
    client = portal_client(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context


@pytest.fixture
def browser_as(browser: Any, live_server: Any) -> Iterator[Callable[[User], Any]]:
    contexts: list[Any] = []

    def open_as(user: User) -> Any:
        context = signed_in_context(browser, live_server, user)
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()
