"""One nickname rule and one session-id rule for the seat API, the game API, the stream and session_open."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from scoreboard.stream.records import RecordRejected, snapshot_parse
from sessions.identifiers import NICKNAME_MAX_CHARS, session_id_is_valid
from sessions.models import GameType, Seat, SeatState
from sessions.services import SessionError, seats_release_finished, session_open

pytestmark = pytest.mark.django_db


def _record(session_id: str, nickname: str, lives: int = 3) -> bytes:
    return json.dumps(
        {
            "SessionId": session_id,
            "Nickname": nickname,
            "Score": 10,
            "Lives": lives,
            "Shots": 1,
            "Level": 1,
            "Timestamp": "2026-11-27T10:00:00.000Z",
        }
    ).encode()


@pytest.fixture
def game(manager: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager)  # managers may act for any player
    return client


def test_a_name_with_spaces_is_the_same_player_in_the_seat_api_and_the_stream(game: APIClient) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    response = game.post("/v1/allocate", {"Username": "alice "}, format="json")
    assert response.json() == {"successMessage": "Success allocating alice"}

    # The game-over snapshot, named with other spaces, frees that very seat.
    snapshot = snapshot_parse(_record(session.session_id, " alice", lives=0))
    assert seats_release_finished(session=session, nicknames=[snapshot.nickname]) == 1
    assert Seat.objects.get(session=session).state == SeatState.FINISHED
    assert game.post("/v1/deallocate", {"Username": "\talice"}, format="json").status_code == 200


def test_cognitos_longest_usernames_are_accepted_everywhere_and_longer_ones_nowhere(game: APIClient) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    longest, too_long = "a" * NICKNAME_MAX_CHARS, "a" * (NICKNAME_MAX_CHARS + 1)

    assert game.post("/v1/allocate", {"Username": longest}, format="json").status_code == 200
    assert snapshot_parse(_record(session.session_id, longest)).nickname == longest

    refused = game.post("/v1/allocate", {"Username": too_long}, format="json")
    assert (refused.status_code, refused.json()) == (
        400,
        {"errorMessage": "Invalid request. Username must be 1 to 128 printable characters."},
    )
    with pytest.raises(RecordRejected) as rejected:
        snapshot_parse(_record(session.session_id, too_long))
    assert rejected.value.reason == "invalid_nickname"


@pytest.mark.parametrize("session_id", ["X181001T215808\n", "Summit 2024", "", "-x", "a" * 65, "caf\u00e9"])
def test_session_ids_are_matched_whole(session_id: str) -> None:
    assert not session_id_is_valid(session_id)
    with pytest.raises(RecordRejected):
        snapshot_parse(_record(session_id, "alice"))


@pytest.mark.parametrize("session_id", ["Summit 2024", "Summit/2024", "é-day", "x" * 65])
def test_a_session_the_stream_would_drop_cannot_be_opened(session_id: str) -> None:
    with pytest.raises(SessionError, match="A session id is 1 to 64 letters"):
        session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS, session_id=session_id)


def test_a_name_the_stream_accepts_opens(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Summit-2024")
    assert snapshot_parse(_record(session.session_id, "alice")).session_id == "Summit-2024"


@pytest.mark.parametrize("path", ["/v1/allocate", "/v1/deallocate", "/v1/updatestatus"])
def test_deeply_nested_json_is_a_400_not_a_500(game: APIClient, path: str) -> None:
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    body = '{"Username": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = game.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorMessage"]
