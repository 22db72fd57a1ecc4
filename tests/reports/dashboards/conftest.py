"""Fixtures of the dashboard tests: people in each role, a session with standings, a signed-in browser."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from scoreboard.stream.leases import Fence
from sessions.models import GameSession
from tests.factories import GameSessionFactory, UserFactory, record, records_persist
from tests.portal import signed_in_context
from tests.reports.dashboards.dash import SESSION_ID


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


@pytest.fixture
def support(db: None) -> User:
    return UserFactory(username="sam-support", roles=[Role.SUPPORT])


@pytest.fixture
def player(db: None) -> User:
    return UserFactory(username="pete-player", roles=[Role.PLAYERS])


@pytest.fixture
def game_session(db: None) -> GameSession:
    """An open session whose opening time precedes the test records' timestamps."""
    return GameSessionFactory(session_id=SESSION_ID, top_x=5)


_sequence = itertools.count(1)


@pytest.fixture
def standings_put(fence: Fence) -> Callable[..., None]:
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
        records_persist(fence=fence, records=records)

    return put


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
