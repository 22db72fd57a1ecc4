"""Simulated players play by the game's rules against the live portal's game API, moto's Cognito and SSM."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from scoreboard.game_players import PlayerPool, PortalUnreachable
from scoreboard.selectors import ranking_count
from scoreboard.simulator import CheatPlan
from sessions.models import GameType, Seat, SeatState
from sessions.selectors import seat_counts
from sessions.services import seat_allocate, seat_deallocate, session_close, session_open
from tests.scoreboard.game_portal import GamePortal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _until(condition: Callable[[], bool], what: str, pool: PlayerPool, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pool.failure is not None:
            pytest.fail(f"the simulated players failed: {pool.failure}")
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _pool(portal: GamePortal, players: int, **options) -> PlayerPool:  # type: ignore[no-untyped-def]
    options.setdefault("rate", 40.0)
    options.setdefault("pause_between_games", 0.2)
    return PlayerPool(base_url=portal.url, players=players, prefix=f"t{uuid.uuid4().hex[:8]}", seed=1, **options)


def test_a_multiple_trials_player_plays_again_after_the_server_freed_its_seat(game_portal: GamePortal) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    game_portal.publish()
    game_portal.drain_in_background()
    pool = _pool(game_portal, 1, life_loss=0.5)
    pool.start()
    try:
        _until(lambda: pool.summary.games_finished >= 2, "two finished games", pool)
    finally:
        summary = pool.stop()
    nickname = f"{pool.prefix}-player0000"
    seat = Seat.objects.get(session=session, nickname=nickname)
    # Each game was a new seat allocation: the second waited for the drain to free the first.
    assert seat.games_played >= 2
    assert summary.players == 1
    assert summary.sessions == [session.session_id]
    assert summary.status_refusals == {}
    assert summary.seat_refusals == {}
    # Stopped, the player gave back a seat it held (the game's unload handler), and the drain frees
    # the seat of a game it had just finished.
    _until(lambda: seat_counts(session=session)["playing"] == 0, "every seat to be free", pool, timeout=20)
    assert summary.sent >= 4


def test_single_trial_players_play_once_and_take_gamer_cannot_play_for_an_answer(game_portal: GamePortal) -> None:
    session = session_open(manager=None, game_type=GameType.SINGLE_TRIAL)
    game_portal.publish()
    game_portal.drain_in_background()
    pool = _pool(game_portal, 2, life_loss=0.5)
    # The second player already played this session (a game that ended before the simulator started).
    seat_allocate(nickname=f"{pool.prefix}-player0001")
    seat_deallocate(nickname=f"{pool.prefix}-player0001")
    pool.start()
    try:
        _until(lambda: pool.summary.games_finished >= 1, "the first player's game", pool)
        _until(lambda: pool.summary.seat_refusals["GamerCannotPlay"] >= 1, "the second player's refusal", pool)
        time.sleep(3.0)  # time enough to ask again, which neither must do
    finally:
        summary = pool.stop()
    assert summary.games_started == 1
    assert summary.seat_refusals == {"GamerCannotPlay": 1}
    assert summary.players_by_session == {session.session_id: {f"{pool.prefix}-player0000"}}
    first = Seat.objects.get(session=session, nickname=f"{pool.prefix}-player0000")
    assert (first.state, first.games_played) == (SeatState.FINISHED, 1)


def test_a_full_session_answers_no_seats_available_and_the_seat_map_matches(game_portal: GamePortal) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS, total_seats=1)
    game_portal.publish()
    # No drain: the seated player's game never ends for the server, so the seat stays taken.
    pool = _pool(game_portal, 2, life_loss=0.0)
    pool.start()
    try:
        _until(lambda: pool.summary.seat_refusals["NoSeatsAvailable"] >= 2, "refusals for the second player", pool)
        pool.pause()
        assert pool.in_game(session.session_id) == 1
        assert seat_counts(session=session)["playing"] == 1
        assert pool.summary.games_started == 1
    finally:
        pool.stop()


def test_players_respect_a_closed_session_even_before_ssm_says_so(game_portal: GamePortal) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    game_portal.publish()
    session_close(manager=None, session=session)  # SSM still shows it open: the portal refuses seats
    pool = _pool(game_portal, 2)
    pool.start()
    try:
        _until(lambda: pool.summary.seat_refusals["SessionClosed"] >= 2, "the closed session's refusals", pool)
        game_portal.publish()
        time.sleep(2.5)  # SSM now says closed: nobody asks again
        refusals = pool.summary.seat_refusals["SessionClosed"]
        time.sleep(2.5)
        assert pool.summary.seat_refusals["SessionClosed"] == refusals
    finally:
        summary = pool.stop()
    assert summary.sent == 0
    assert summary.games_started == 0
    assert not Seat.objects.filter(session=session).exists()


def test_a_player_already_seated_is_told_to_keep_playing_and_plays(game_portal: GamePortal) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    game_portal.publish()
    pool = _pool(game_portal, 1, life_loss=0.0)
    seat_allocate(nickname=f"{pool.prefix}-player0000")  # e.g. a crashed browser that kept its seat
    pool.start()
    try:
        _until(lambda: pool.summary.sent >= 2, "statuses of the seated player", pool)
    finally:
        summary = pool.stop()
    assert summary.keep_playing == 1
    assert summary.games_started == 1
    assert Seat.objects.get(session=session, nickname=f"{pool.prefix}-player0000").games_played == 1


def test_cheaters_play_through_the_api_too_and_honest_players_raise_no_flag(game_portal: GamePortal, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CHEAT_RULES_ENABLED = True
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    game_portal.publish()
    pool = _pool(game_portal, 1, cheats=CheatPlan(lives_up=1), duplicates=1)
    pool.start()
    try:
        _until(lambda: pool.summary.cheats["lives_up"] == 1 and pool.summary.duplicates == 1, "the cheat", pool)
        _until(lambda: pool.summary.sent >= 12, "a dozen statuses", pool)
    finally:
        summary = pool.stop()
    game_portal.drain(4.0)
    from scoreboard.models import CheatFlag

    cheater = f"{pool.prefix}-cheat-lives-up-000"
    assert cheater in summary.players_by_session[session.session_id]
    assert ranking_count(session=session) == 2
    assert list(CheatFlag.objects.filter(session=session).values_list("nickname", "rule")) == [(cheater, "lives_up")]


def test_an_unreachable_portal_is_a_clear_error(provisioned) -> None:  # type: ignore[no-untyped-def]
    pool = PlayerPool(base_url="http://127.0.0.1:9", players=1)
    with pytest.raises(PortalUnreachable, match=re.escape("cannot reach the game API at http://127.0.0.1:9/v1/")):
        pool.run(duration=1)
    with pytest.raises(CommandError, match="is the portal running"):
        call_command("simulate_game", portal_url="http://127.0.0.1:9", duration=1, quiet=True)


def test_faults_that_need_raw_bytes_need_the_stream_path() -> None:
    with pytest.raises(CommandError, match="--malformed need --via stream"):
        call_command("simulate_game", malformed=3, duration=1, quiet=True)
