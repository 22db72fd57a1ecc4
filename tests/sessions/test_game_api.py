"""The game API answers with the original game's status codes and bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from alienportal.access import Role
from alienportal.dates import js_time
from sessions.models import GameSession, GameType
from sessions.services import seats_release_finished, session_close, session_open
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def game(manager: User) -> APIClient:
    # A manager may act for any player (tests/sessions/test_players_act_as_themselves.py: players may not).
    client = APIClient()
    client.force_authenticate(manager)
    return client


def post(client: APIClient, path: str, body: Any) -> tuple[int, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post(path, raw, content_type="application/json")
    return response.status_code, response.json()


def test_current_session_is_the_ssm_value_as_a_json_string(game: APIClient, manager: User) -> None:
    response = game.get("/v1/session")
    assert (response.status_code, response.json()) == (200, "null")  # no session ever opened

    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, session_id="X181001T215808")
    response = game.get("/v1/session")
    assert response.status_code == 200
    # The original API Gateway mapping returned the parameter's value as a JSON string; the game
    # parses twice (`JSON.parse(data)`, then again if the result is a string).
    assert json.loads(response.json()) == {
        "GameType": "SINGLE_TRIAL",
        "Synchronized": False,
        "SessionId": "X181001T215808",
        "OpeningTime": js_time(session.opening_time),
        "TotalSeats": 150,
    }


def test_allocate_success_keep_playing_and_deallocate(game: APIClient, manager: User) -> None:
    session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)

    assert post(game, "/v1/allocate", {"Username": "John"}) == (200, {"successMessage": "Success allocating John"})
    assert post(game, "/v1/allocate", {"Username": "John"}) == (200, {"successMessage": "Keep playing."})
    assert post(game, "/v1/deallocate", {"Username": "John"}) == (200, {"successMessage": "Success deallocating John"})
    assert post(game, "/v1/deallocate", {"Username": "John"}) == (
        200,
        {"successMessage": "User John not found in the list of playing gamers. Discarded."},
    )


def test_allocate_refusals_have_the_original_codes_and_bodies(game: APIClient, manager: User) -> None:
    assert post(game, "/v1/allocate", {"Username": "Ann"}) == (422, {"errorMessage": "No session available."})

    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, total_seats=1)
    post(game, "/v1/allocate", {"Username": "Ann"})
    assert post(game, "/v1/allocate", {"Username": "Bob"}) == (
        422,
        {"errorMessage": "No seats available.", "errorCode": "NoSeatsAvailable"},
    )
    seats_release_finished(session=session, nicknames=["Ann"])
    assert post(game, "/v1/allocate", {"Username": "Ann"}) == (
        422,
        {"errorMessage": "Session is SINGLE_TRIAL. Gamer has already played.", "errorCode": "GamerCannotPlay"},
    )

    session_close(manager=manager, session=session)
    assert post(game, "/v1/allocate", {"Username": "Cid"}) == (422, {"errorMessage": "Session is closed."})
    assert GameSession.objects.get().occupied_seats == 0


@pytest.mark.parametrize("path", ["/v1/allocate", "/v1/deallocate"])
@pytest.mark.parametrize("body", [{}, {"Username": ""}, {"Username": "   "}, {"Username": 42}, {"Name": "x"}])
def test_a_missing_username_is_a_400(game: APIClient, manager: User, path: str, body: Any) -> None:
    session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    assert post(game, path, body) == (400, {"errorMessage": "Invalid request. Username not provided."})
    assert GameSession.objects.get().occupied_seats == 0


def test_a_body_that_is_not_json_is_a_400(game: APIClient) -> None:
    assert post(game, "/v1/allocate", "{not json") == (400, {"errorMessage": "Invalid payload for request"})
    assert post(game, "/v1/deallocate", "{not json") == (400, {"errorMessage": "Invalid request."})


def test_deallocate_without_any_session_is_refused(game: APIClient) -> None:
    assert post(game, "/v1/deallocate", {"Username": "John"}) == (422, {"errorMessage": "No session available."})


def test_only_players_and_managers_may_call_the_game_api(manager: User) -> None:
    anonymous = APIClient()
    assert anonymous.get("/v1/session").status_code in (401, 403)
    assert anonymous.post("/v1/allocate", {"Username": "x"}, format="json").status_code in (401, 403)

    support = APIClient()
    support.force_authenticate(UserFactory(username="sue-support", roles=[Role.SUPPORT]))
    assert support.get("/v1/session").status_code == 403
    assert support.post("/v1/allocate", {"Username": "x"}, format="json").status_code == 403

    managers = APIClient()
    managers.force_authenticate(manager)
    assert managers.get("/v1/session").status_code == 200


def test_the_game_endpoints_are_in_the_openapi_schema(game: APIClient) -> None:
    schema = game.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths) >= {"/v1/session", "/v1/allocate", "/v1/deallocate"}
    allocate = paths["/v1/allocate"]["post"]
    assert set(allocate["responses"]) >= {"200", "400", "422"}
    request_schema = allocate["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "Username" in schema["components"]["schemas"][request_schema]["properties"]
