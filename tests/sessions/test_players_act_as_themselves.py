"""Players act only as themselves on the game API; managers may act for anyone (issue 14, finding 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from alienportal.access import Role
from sessions.models import GameType, Seat, SeatState
from sessions.services import seat_allocate, session_open
from tests.factories import UserFactory

pytestmark = [pytest.mark.shards(1), pytest.mark.django_db]

NOT_YOURSELF = {"errorMessage": "Players may only play as themselves.", "errorCode": "NotYourself"}


def _as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _status(session_id: str, nickname: str, lives: int = 3) -> str:
    return json.dumps(
        {
            "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "SessionId": session_id,
            "Nickname": nickname,
            "Lives": lives,
            "Score": 10,
            "Shots": 1,
            "Level": 1,
        }
    )


@pytest.fixture
def alice() -> APIClient:
    return _as(UserFactory(username="alice", roles=[Role.PLAYERS]))


def test_alice_cannot_take_bobs_seat_or_fill_the_session(alice: APIClient) -> None:
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    for name in ("bob", "carol", "alice2"):
        response = alice.post("/v1/allocate", {"Username": name}, format="json")
        assert (response.status_code, response.json()) == (403, NOT_YOURSELF)
    assert not Seat.objects.exists()
    assert alice.post("/v1/allocate", {"Username": "alice"}, format="json").status_code == 200


def test_alice_cannot_deallocate_bob(alice: APIClient) -> None:
    session = session_open(manager=None, game_type=GameType.SINGLE_TRIAL)
    seat_allocate(nickname="bob")
    response = alice.post("/v1/deallocate", {"Username": "bob"}, format="json")
    assert (response.status_code, response.json()) == (403, NOT_YOURSELF)
    # In a single-trial session a freed seat could never be taken again: bob still plays.
    assert Seat.objects.get(session=session, nickname="bob").state == SeatState.PLAYING


def test_alice_cannot_post_lives_zero_for_bob(alice: APIClient, stream: str) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    seat_allocate(nickname="bob")
    response = alice.post(
        "/v1/updatestatus", _status(session.session_id, "bob", lives=0), content_type="application/json"
    )
    assert (response.status_code, response.json()) == (403, NOT_YOURSELF)


def test_the_name_is_compared_once_cleaned(alice: APIClient) -> None:
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    response = alice.post("/v1/allocate", {"Username": " alice "}, format="json")
    assert response.json() == {"successMessage": "Success allocating alice"}


def test_a_status_needs_a_seat_in_that_session(alice: APIClient, stream: str) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    response = alice.post("/v1/updatestatus", _status(session.session_id, "alice"), content_type="application/json")
    assert (response.status_code, response.json()) == (
        422,
        {"errorMessage": f"Gamer alice has no seat in session {session.session_id}.", "errorCode": "NoSeat"},
    )
    alice.post("/v1/allocate", {"Username": "alice"}, format="json")
    assert (
        alice.post(
            "/v1/updatestatus", _status(session.session_id, "alice"), content_type="application/json"
        ).status_code
        == 200
    )
    # A seat in another session is not a seat in this one.
    other = _status("X000101T000000", "alice")
    assert alice.post("/v1/updatestatus", other, content_type="application/json").status_code == 422


def test_managers_may_act_for_any_player(manager: User, stream: str) -> None:
    mia = _as(manager)
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    assert mia.post("/v1/allocate", {"Username": "bob"}, format="json").status_code == 200
    assert (
        mia.post("/v1/updatestatus", _status(session.session_id, "bob"), content_type="application/json").status_code
        == 200
    )
    assert mia.post("/v1/deallocate", {"Username": "bob"}, format="json").status_code == 200
