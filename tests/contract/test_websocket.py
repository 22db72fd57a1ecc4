"""GET /v1/websocket and the socket it names, as WaitForManagerState uses them (websocketAG.js).

The game asks for the URL (JSON.parse of the answer must be a non-empty string), opens a
browser WebSocket on it (no headers of its own), and starts playing when a message's data is
`start`: what the original's synchronousStart function posted to every connection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from alienportal.asgi import application
from sessions.models import GameType
from sessions.services import session_open, session_start
from tests.contract.game import GameClient, Pool

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"https://game.example")
T = TypeVar("T")


def run_async(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run `scenario` on an event loop of its own thread (the browser tests keep one running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(scenario)).result()


def _websocket_url(client: GameClient) -> str:
    status, text = client.get("websocket")
    assert status == 200, text
    url = json.loads(text)
    assert isinstance(url, str)
    assert url.startswith("ws://testserver/ws/v1/session-start?ticket=")
    return url


def _communicator(url: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    parts = urlsplit(url)
    return WebsocketCommunicator(application, f"{parts.path}?{parts.query}", headers=[ORIGIN, *headers])


def _seated(pool: Pool) -> tuple[str, GameClient]:
    username, player = pool.player()
    assert player.post("allocate", {"Username": username})[0] == 200
    return username, player


def test_the_managers_start_reaches_every_waiting_player_within_a_second(pool: Pool) -> None:
    session = session_open(manager=None, game_type=GameType.SINGLE_TRIAL, synchronized=True)
    urls = [_websocket_url(_seated(pool)[1]) for _ in range(2)]

    async def scenario() -> list[tuple[str, float]]:
        players = [_communicator(url) for url in urls]
        for player in players:
            connected, _ = await player.connect()
            assert connected
            assert await player.receive_nothing(timeout=0.2)  # waiting for the manager
        started = time.monotonic()
        await database_sync_to_async(session_start)(manager=None, session=session)
        received = [(await player.receive_from(timeout=1), time.monotonic() - started) for player in players]
        for player in players:
            await player.disconnect()
        return received

    received = run_async(scenario)

    assert [message for message, _ in received] == ["start", "start"]
    assert max(elapsed for _, elapsed in received) < 1.0


def test_a_player_arriving_after_the_start_is_told_at_once(pool: Pool) -> None:
    session = session_open(manager=None, game_type=GameType.TIME_CONSTRAINED, minutes=5, synchronized=True)
    url = _websocket_url(_seated(pool)[1])
    session_start(manager=None, session=session)

    async def scenario() -> str:
        player = _communicator(url)
        assert (await player.connect())[0]
        message = await player.receive_from(timeout=1)
        assert await player.receive_nothing(timeout=0.3)  # once only
        await player.disconnect()
        return str(message)

    assert run_async(scenario) == "start"


def test_clients_that_can_send_headers_connect_with_their_token(pool: Pool) -> None:
    session = session_open(manager=None, game_type=GameType.SINGLE_TRIAL, synchronized=True)
    _, player = _seated(pool)

    async def scenario() -> str:
        communicator = WebsocketCommunicator(
            application, "/ws/v1/session-start", headers=[ORIGIN, (b"authorization", player.id_token.encode())]
        )
        assert (await communicator.connect())[0]
        await database_sync_to_async(session_start)(manager=None, session=session)
        message = await communicator.receive_from(timeout=1)
        await communicator.disconnect()
        return str(message)

    assert run_async(scenario) == "start"


def _refused(path: str, *headers: tuple[bytes, bytes]) -> bool:
    async def scenario() -> bool:
        communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return not connected

    return bool(run_async(scenario))


def test_only_seated_players_of_the_current_synchronized_session_wait(pool: Pool) -> None:
    session_open(manager=None, game_type=GameType.SINGLE_TRIAL, synchronized=True)
    _, unseated = pool.player()
    url = urlsplit(_websocket_url(unseated))
    assert _refused(f"{url.path}?{url.query}")  # no seat
    assert _refused(f"{url.path}?ticket=forged{url.query[-20:]}")
    assert _refused(url.path)  # no ticket, no token
    assert _refused(url.path, (b"authorization", b"Bearer not-a-token"))


def test_a_session_that_is_not_synchronized_has_no_one_waiting(pool: Pool) -> None:
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    url = urlsplit(_websocket_url(_seated(pool)[1]))
    assert _refused(f"{url.path}?{url.query}")


def test_a_foreign_origin_is_refused_when_the_games_origins_are_listed(pool: Pool, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://game.example"]
    from importlib import reload

    import alienportal.asgi

    restricted = reload(alienportal.asgi).application
    session_open(manager=None, game_type=GameType.SINGLE_TRIAL, synchronized=True)
    url = urlsplit(_websocket_url(_seated(pool)[1]))

    async def connects(origin: bytes) -> bool:
        communicator = WebsocketCommunicator(restricted, f"{url.path}?{url.query}", headers=[(b"origin", origin)])
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return bool(connected)

    async def from_the_game() -> bool:
        return await connects(b"https://game.example")

    async def from_elsewhere() -> bool:
        return await connects(b"https://evil.example")

    assert run_async(from_the_game)
    assert not run_async(from_elsewhere)
