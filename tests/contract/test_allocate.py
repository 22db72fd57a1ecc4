"""POST /v1/allocate as AWSFacade.allocateGamer calls it (WaitForSessionState.playConnected)."""

from __future__ import annotations

import json

import pytest

from sessions.models import GameType, Seat
from sessions.services import seats_release_finished, session_close, session_open
from tests.contract.game import GameClient, Pool

pytestmark = pytest.mark.django_db


def _allocate(client: GameClient, username: str) -> tuple[int, dict[str, str]]:
    status, text = client.post("allocate", {"Username": username})
    return status, json.loads(text)


def test_a_seat_for_the_signed_in_player(pool: Pool) -> None:
    username, player = pool.player()
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)

    # allocateGamer reads successMessage of a 200.
    assert _allocate(player, username) == (200, {"successMessage": f"Success allocating {username}"})
    assert _allocate(player, username) == (200, {"successMessage": "Keep playing."})
    assert Seat.objects.get(session=session).nickname == username


def test_refusals_carry_what_the_session_error_dialog_shows(pool: Pool) -> None:
    # A non-200 goes to playConnected, which JSON.parses the text and shows errorCode and errorMessage.
    first, first_player = pool.player()
    second, second_player = pool.player()
    assert _allocate(first_player, first) == (422, {"errorMessage": "No session available."})

    session = session_open(manager=None, game_type=GameType.SINGLE_TRIAL, total_seats=1)
    assert _allocate(first_player, first)[0] == 200
    assert _allocate(second_player, second) == (
        422,
        {"errorMessage": "No seats available.", "errorCode": "NoSeatsAvailable"},
    )
    seats_release_finished(session=session, nicknames=[first])
    assert _allocate(first_player, first) == (
        422,
        {"errorMessage": "Session is SINGLE_TRIAL. Gamer has already played.", "errorCode": "GamerCannotPlay"},
    )
    session_close(manager=None, session=session)
    assert _allocate(second_player, second) == (422, {"errorMessage": "Session is closed."})


def test_a_username_of_cognitos_full_128_characters_gets_a_seat(pool: Pool) -> None:
    username = pool.user_create("p" * 118 + "0123456789")
    player = pool.sign_in(username)
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)

    assert _allocate(player, username) == (200, {"successMessage": f"Success allocating {username}"})


def test_a_pool_user_outside_players_is_refused(pool: Pool) -> None:
    # Deliberate difference (README): the original's sign-up trigger put every user in Players;
    # our pool is shared with staff and users are created by administrators, so the group decides.
    username = pool.user_create("nobody-in-particular", group=None)
    stranger = pool.sign_in(username)
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)

    assert stranger.post("allocate", {"Username": username})[0] == 403
