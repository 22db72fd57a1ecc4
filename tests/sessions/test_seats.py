"""Seat rules of DESIGN.md: keep playing, GamerCannotPlay, NoSeatsAvailable, closed or missing session."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.db import connection

from alienportal.api.base import domain_error_status
from alienportal.models import AuditEntry
from sessions.models import GameSession, GameType, Seat, SeatState
from sessions.services import (
    SeatRefused,
    seat_allocate,
    seat_deallocate,
    seat_extra_game_grant,
    seat_release,
    seats_release_finished,
    session_close,
    session_open,
)

pytestmark = pytest.mark.django_db


def _refusal(**kwargs: object) -> SeatRefused:
    with pytest.raises(SeatRefused) as caught:
        seat_allocate(**kwargs)  # type: ignore[arg-type]
    return caught.value


def test_no_session_at_all_is_refused() -> None:
    refusal = _refusal(nickname="ann")
    assert (domain_error_status(refusal), refusal.message, refusal.code) == (422, "No session available.", None)
    assert _refusal(session_id="X000000T000000", nickname="ann").message == "No session available."


def test_allocate_then_keep_playing_then_deallocate(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)

    assert seat_allocate(nickname="ann").message == "Success allocating ann"
    assert seat_allocate(nickname="ann").message == "Keep playing."
    session.refresh_from_db()
    assert session.occupied_seats == 1

    assert seat_deallocate(nickname="ann").message == "Success deallocating ann"
    assert seat_deallocate(nickname="ann").message == "User ann not found in the list of playing gamers. Discarded."
    session.refresh_from_db()
    assert session.occupied_seats == 0

    # Multiple trials: a finished player plays again, on a seat counted again.
    assert seat_allocate(nickname="ann").message == "Success allocating ann"
    seat = Seat.objects.get(session=session, nickname="ann")
    assert (seat.state, seat.games_played) == (SeatState.PLAYING, 2)


@pytest.mark.parametrize("game_type", [GameType.SINGLE_TRIAL, GameType.TIME_CONSTRAINED])
def test_one_game_sessions_refuse_a_player_who_already_played(manager: User, game_type: str) -> None:
    session = session_open(manager=manager, game_type=game_type, minutes=5 if game_type == "TIME_CONSTRAINED" else None)
    seat_allocate(nickname="bob")
    seats_release_finished(session=session, nicknames=["bob"])  # a Lives == 0 snapshot

    refusal = _refusal(nickname="bob")
    assert (domain_error_status(refusal), refusal.code) == (422, "GamerCannotPlay")
    assert refusal.message == f"Session is {game_type}. Gamer has already played."
    session.refresh_from_db()
    assert session.occupied_seats == 0


def test_full_session_refuses_and_a_freed_seat_is_taken_again(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, total_seats=2)
    seat_allocate(nickname="a")
    seat_allocate(nickname="b")

    refusal = _refusal(nickname="c")
    assert (domain_error_status(refusal), refusal.message, refusal.code) == (
        422,
        "No seats available.",
        "NoSeatsAvailable",
    )
    assert seat_allocate(nickname="a").message == "Keep playing."  # a seated player is never refused

    seat_deallocate(nickname="a")
    assert seat_allocate(nickname="c").message == "Success allocating c"
    session.refresh_from_db()
    assert session.occupied_seats == 2


def test_closed_session_refuses_seats_but_still_frees_them(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    seat_allocate(nickname="ann")
    session_close(manager=manager, session=session)

    assert _refusal(nickname="bob").message == "Session is closed."
    assert _refusal(session_id=session.session_id, nickname="bob").message == "Session is closed."
    assert seat_deallocate(nickname="ann").message == "Success deallocating ann"


def test_time_up_refuses_seats_before_the_closing_task_runs(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=1)
    GameSession.objects.filter(pk=session.pk).update(closes_at=session.opening_time)  # time is up

    assert _refusal(nickname="late").message == "Session is closed."


def test_staff_release_frees_a_seat_once_and_is_audited(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL)
    seat_allocate(nickname="crashed")

    assert seat_release(actor=manager, session=session, nickname="crashed") is True
    assert seat_release(actor=manager, session=session, nickname="crashed") is False

    session.refresh_from_db()
    assert session.occupied_seats == 0
    entry = AuditEntry.objects.get(action="seat.release")
    assert entry.actor == manager
    assert entry.before["state"] == "PLAYING"
    assert entry.after["state"] == "FINISHED"


# --- concurrency, with real parallel PostgreSQL connections --------------------------------

THREADS = 32  # parallel connections; PostgreSQL here allows 100 in all, shared with other suites


def _in_parallel(calls: list[dict[str, str]]) -> list[str]:
    """Run seat_allocate for every kwargs in `calls` from THREADS threads, all released at once."""
    start = threading.Barrier(THREADS)

    def worker(chunk: list[dict[str, str]]) -> list[str]:
        start.wait()
        outcomes = []
        try:
            for kwargs in chunk:
                try:
                    outcomes.append(seat_allocate(**kwargs).message)
                except SeatRefused as refusal:
                    outcomes.append(refusal.code or refusal.message)
        finally:
            connection.close()
        return outcomes

    chunks = [calls[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [outcome for result in pool.map(worker, chunks) for outcome in result]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_allocations_for_150_seats_give_exactly_150(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, total_seats=150)

    outcomes = _in_parallel([{"nickname": f"player{i:03d}"} for i in range(200)])

    assert outcomes.count("NoSeatsAvailable") == 50
    assert sum(o.startswith("Success allocating") for o in outcomes) == 150
    session.refresh_from_db()
    assert session.occupied_seats == 150
    assert Seat.objects.filter(session=session, state=SeatState.PLAYING).count() == 150


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_same_player_many_times_at_once_takes_one_seat(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, total_seats=150)

    outcomes = _in_parallel([{"nickname": f"twin{i % 20}"} for i in range(200)])

    assert sum(o.startswith("Success allocating") for o in outcomes) == 20
    assert outcomes.count("Keep playing.") == 180
    session.refresh_from_db()
    assert session.occupied_seats == 20 == Seat.objects.filter(session=session).count()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_allocations_and_releases_racing_keep_the_count_exact(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, total_seats=10)
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        start.wait()
        try:
            for round_ in range(6):
                nickname = f"p{(n + round_) % 40}"
                with contextlib.suppress(SeatRefused):
                    seat_allocate(nickname=nickname)
                if round_ % 2:
                    seat_deallocate(nickname=nickname)
                else:
                    seats_release_finished(session=session, nicknames=[f"p{(n * 7 + round_) % 40}"])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(worker, range(THREADS)))

    session.refresh_from_db()
    playing = Seat.objects.filter(session=session, state=SeatState.PLAYING).count()
    assert 0 <= session.occupied_seats == playing <= 10


def test_the_audit_log_names_the_session_and_the_player_as_a_manager_knows_them(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL)
    seat_allocate(nickname="ann")
    seat_release(actor=manager, session=session, nickname="ann")
    seat_extra_game_grant(actor=manager, session=session, nickname="ann", reason="game crashed")

    log = [(entry.action, entry.target_repr) for entry in AuditEntry.objects.order_by("pk")]
    assert log == [
        ("session.open", session.session_id),
        ("seat.release", f"ann in {session.session_id} (FINISHED)"),
        ("seat.extra_game_grant", f"ann in {session.session_id} (FINISHED)"),
    ]
    assert str(session.pk) not in {name.split(" in ")[-1].split(" ")[0] for _, name in log[1:]}
