"""The original client's calls, in its order, from a browser on another origin, against the live portal."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command

from alienportal.redis_clients import redis_client
from sessions.models import GameType, Seat, SeatState
from sessions.services import session_open
from tests.contract.game import PASSWORD, Pool

pytestmark = [pytest.mark.shards(1), pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGE_DIR = Path(__file__).resolve().parent / "browser"


@pytest.fixture
def game_origin() -> Iterator[str]:
    """Serve the page from a loopback origin of its own (the original game came from CloudFront)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(PAGE_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_config_session_allocate_statuses_scoreboard_deallocate(
    browser: Any, live_server: Any, pool: Pool, stream: str, game_origin: str
) -> None:
    redis_client().flushdb()
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    username = pool.user_create("browser-player")
    query = urlencode(
        {
            "api": f"{live_server.url}/v1/",
            "cognito": settings.AWS_ENDPOINT_URL,
            "username": username,
            "password": PASSWORD,
        }
    )
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{game_origin}/original_client.html?{query}")
        page.wait_for_function("window.stage === 'sent' || window.stage.startsWith('failed')", timeout=30_000)
        assert page.evaluate("window.stage") == "sent", page.inner_text("#log")

        # The portal's drain turns what the game put on the stream into standings.
        call_command("stream_drain", seconds=4, stream=stream)

        page.wait_for_function("window.stage === 'done' || window.stage.startsWith('failed')", timeout=30_000)
        assert page.evaluate("window.stage") == "done", page.inner_text("#log")
        calls = page.evaluate("window.calls")
        scoreboard = page.evaluate("window.scoreboard")
        deallocated = page.evaluate("window.deallocated")
    finally:
        context.close()

    resources = [call["resource"] for call in calls]
    assert resources[:8] == ["config", "session", "allocate", *["updatestatus"] * 5]
    assert set(resources[8:-1]) == {"scoreboard"}
    assert resources[-1] == "deallocate"
    assert all(call["status"] == 200 for call in calls), calls
    assert [(row["Nickname"], row["Score"], row["Shots"], row["Lives"]) for row in scoreboard] == [(username, 25, 5, 3)]
    assert deallocated == f"Success deallocating {username}"
    assert Seat.objects.get(session=session, nickname=username).state == SeatState.FINISHED
