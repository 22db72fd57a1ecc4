"""Open and current sessions mean one thing everywhere: the querysets every lookup of a session uses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from sessions.models import GameSession, GameType, Seat
from sessions.selectors import session_by_id, session_current
from sessions.services import seat_allocate, seat_deallocate, session_close, session_open

pytestmark = pytest.mark.django_db


def test_current_is_the_open_session_else_the_latest_closed_else_none(manager: User) -> None:
    assert GameSession.objects.current() is None
    first = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="First")
    assert list(GameSession.objects.open()) == [first]
    assert GameSession.objects.current() == first
    session_close(manager=manager, session=first)
    assert not GameSession.objects.open().exists()
    assert GameSession.objects.current() == first  # the most recently closed one
    second = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Second")
    session_close(manager=manager, session=second)
    assert GameSession.objects.current() == second
    third = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Third")
    # The open session wins even over a session closed later than it opened.
    assert GameSession.objects.current() == third == session_current()
    assert set(GameSession.objects.closed()) == {first, second}


def test_seats_of_a_session_and_of_a_player(manager: User) -> None:
    first = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="First")
    seat_allocate(nickname="ann")
    seat_allocate(nickname="bob")
    seat_deallocate(nickname="bob")
    session_close(manager=manager, session=first)
    second = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Second")
    seat_allocate(nickname="ann")

    assert sorted(Seat.objects.of_session(first).values_list("nickname", flat=True)) == ["ann", "bob"]
    assert list(Seat.objects.of_session(first).playing().values_list("nickname", flat=True)) == ["ann"]
    assert {seat.session for seat in Seat.objects.of_player("ann")} == {first, second}
    assert Seat.objects.of_session(second).of_player("bob").first() is None


def test_session_by_id_reads_every_field_as_the_orm_does(manager: User) -> None:
    closed = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Closed")
    session_close(manager=manager, session=closed)
    timed = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, session_id="Timed", minutes=5)
    seat_allocate(nickname="ann")
    for session_id in ("Closed", "Timed"):
        found, expected = session_by_id(session_id), GameSession.objects.get(session_id=session_id)
        assert found is not None
        assert found.pk == expected.pk
        fields = [field.attname for field in GameSession._meta.concrete_fields]
        assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
        assert not found._state.adding
        assert found._state.db == "default"
    found_timed, found_closed = session_by_id("Timed"), session_by_id("Closed")
    assert found_timed is not None
    assert found_closed is not None
    assert found_timed.occupied_seats == 1
    assert timed.closes_at is not None
    assert found_timed.closes_at == timed.closes_at
    assert found_closed.is_open is False
    assert session_by_id("Nope") is None
    assert session_by_id("closed") is None  # ids are matched exactly
