"""GET /v1/session as AWSFacade.getSession calls it (WaitForSessionState polls it every second)."""

from __future__ import annotations

import json

import pytest

from sessions.models import GameType
from sessions.services import session_close, session_open, session_start
from tests.contract.game import GameClient, Pool

pytestmark = pytest.mark.django_db


def _session(client: GameClient) -> object:
    status, text = client.get("session")
    assert status == 200, text
    value = json.loads(text)
    # getSession parses twice: the original's mapping answered the SSM value as a JSON string.
    return json.loads(value) if isinstance(value, str) else value


def test_no_session_yet_is_null(pool: Pool) -> None:
    _, player = pool.player()
    assert _session(player) is None


def test_an_open_synchronized_session_as_the_game_reads_it(pool: Pool) -> None:
    _, player = pool.player()
    opened = session_open(manager=None, game_type=GameType.SINGLE_TRIAL, synchronized=True)

    session = _session(player)
    # WaitForSessionState and playConnected read exactly these.
    assert session["SessionId"] == opened.session_id
    assert session["OpeningTime"].endswith("Z")
    assert len(session["OpeningTime"]) == 24
    assert "ClosingTime" not in session
    assert session["GameType"] == "SINGLE_TRIAL"
    assert session["Synchronized"] is True
    assert "SynchronizeTime" not in session  # not started: WaitForManagerState

    session_start(manager=None, session=opened)
    assert _session(player)["SynchronizeTime"]  # started: LateStartWarning
    session_close(manager=None, session=opened)
    assert _session(player)["ClosingTime"]  # closed: the game keeps waiting


def test_the_bearer_form_works_too(pool: Pool) -> None:
    _, player = pool.player()
    response = player.http.get("/v1/session", HTTP_AUTHORIZATION=f"Bearer {player.id_token}")
    assert response.status_code == 200


def test_without_a_token_the_game_is_refused(anonymous: GameClient, pool: Pool) -> None:
    status, _ = anonymous.get("session")
    assert status == 401
