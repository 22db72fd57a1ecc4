"""A finished game (Lives == 0) frees the player's seat exactly once."""

import pytest
from django.utils import timezone

from sessions.models import GameSession, GameType, Seat, SeatState
from sessions.services import seats_release_finished
from tests.factories import GameSessionFactory

pytestmark = pytest.mark.django_db


def _session_with_players(*nicknames: str) -> GameSession:
    now = timezone.now()
    session = GameSessionFactory(game_type=GameType.SINGLE_TRIAL, opening_time=now, occupied_seats=len(nicknames))
    Seat.objects.bulk_create(Seat(session=session, nickname=name, allocated_at=now) for name in nicknames)
    return session


def test_finished_players_free_their_seats_once() -> None:
    session = _session_with_players("ann", "bob", "cid")

    assert seats_release_finished(session=session, nicknames=["ann", "bob", "ann", "nobody"]) == 2
    assert seats_release_finished(session=session, nicknames=["ann"]) == 0

    session.refresh_from_db()
    assert session.occupied_seats == 1
    states = dict(Seat.objects.filter(session=session).values_list("nickname", "state"))
    assert states == {"ann": SeatState.FINISHED, "bob": SeatState.FINISHED, "cid": SeatState.PLAYING}
