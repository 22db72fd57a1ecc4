"""POST /v1/deallocate as AWSFacade.deallocateGamer calls it (synchronously, when the page unloads)."""

from __future__ import annotations

import json

import pytest

from sessions.models import GameType, Seat, SeatState
from sessions.services import session_open
from tests.contract.game import GameClient, Pool

pytestmark = pytest.mark.django_db


def _deallocate(client: GameClient, username: str) -> tuple[int, dict[str, str]]:
    status, text = client.post("deallocate", {"Username": username})
    return status, json.loads(text)


def test_the_seat_is_given_back(pool: Pool) -> None:
    username, player = pool.player()
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    player.post("allocate", {"Username": username})

    # deallocateGamer reads successMessage of a 200 (the original's current head sent null there).
    assert _deallocate(player, username) == (200, {"successMessage": f"Success deallocating {username}"})
    assert Seat.objects.get(session=session, nickname=username).state == SeatState.FINISHED
    assert _deallocate(player, username) == (
        200,
        {"successMessage": f"User {username} not found in the list of playing gamers. Discarded."},
    )


def test_without_any_session(pool: Pool) -> None:
    username, player = pool.player()
    # Deliberate difference (README): the original crashed reading a null session and answered
    # 400 "Invalid request."; ours says what is wrong.
    assert _deallocate(player, username) == (422, {"errorMessage": "No session available."})
