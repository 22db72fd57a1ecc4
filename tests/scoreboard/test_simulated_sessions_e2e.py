"""End to end: simulated players follow a manager from a closed session to a new one, through the game API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from scoreboard.game_players import PlayerPool
from scoreboard.models import DeadLetter, ScoreEvent
from scoreboard.selectors import discards_after_closing, ranking_count, ranking_top
from scoreboard.selectors.health import pipeline_records_total
from sessions.models import GameType
from sessions.selectors import seat_counts
from sessions.services import session_close, session_open
from tests.scoreboard.game_portal import GamePortal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
PLAYERS = 6


def _until(condition: Callable[[], bool], what: str, pool: PlayerPool, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pool.failure is not None:
            pytest.fail(f"the simulated players failed: {pool.failure}")
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def test_players_move_to_the_new_session_and_the_portal_agrees_with_what_they_sent(game_portal: GamePortal) -> None:
    first = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    game_portal.publish()
    game_portal.drain_in_background()
    pool = PlayerPool(
        base_url=game_portal.url,
        players=PLAYERS,
        rate=12.0,
        life_loss=0.15,
        pause_between_games=0.5,
        prefix=f"e2e{uuid.uuid4().hex[:6]}",
        seed=5,
    )
    pool.start()
    try:
        _until(
            lambda: ranking_count(session=first) >= 3 and pool.summary.games_finished >= 1,
            "standings and a finished game in the first session",
            pool,
        )

        # A manager closes the session and opens another, as in the portal; SSM follows.
        session_close(manager=None, session=first)
        second = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
        game_portal.publish()

        _until(lambda: ranking_count(session=second) >= 3, "standings in the new session", pool)
        _until(lambda: pool.in_game(first.session_id) == 0, "every game in the closed session to end", pool)

        # One moment, seen from both sides: players parked between two steps, the pipeline caught up.
        pool.pause()
        game_portal.drain_stop()
        game_portal.drain(4.0)
        in_game = pool.in_game(second.session_id)
        assert pool.in_game() == in_game, "nobody plays on in the closed session"
        assert seat_counts(session=second)["playing"] == in_game
        summary = pool.summary
        assert summary.sessions == [first.session_id, second.session_id]
        assert summary.seat_refusals == {}
        assert summary.status_refusals == {}
        assert summary.games_cut >= 1, "the close cut games short"
        # The live ranking shows exactly the players whose statuses the API took for the new session.
        assert {row.nickname for row in ranking_top(session=second, limit=100)} == summary.players_by_session[
            second.session_id
        ]
        # Every status the simulator says it sent reached the pipeline and ended in one place: a score
        # event, or a discard (stamped after the close, before the player noticed). Statuses that moto
        # stored under one sequence number are one record on the stream (FACTS: concurrent puts collide).
        processed, _bytes = pipeline_records_total(stream_name=game_portal.stream)
        assert processed == summary.sent - summary.stream_collisions
        events = ScoreEvent.objects.filter(session__in=[first, second]).count()
        assert events + discards_after_closing(session=first) == processed
        assert DeadLetter.objects.count() == 0

        pool.resume()
    finally:
        summary = pool.stop()
    # Leaving, the players give back the seats of games in progress, as the game's unload handler
    # does; a game that had just ended frees its seat once the drain reads its Lives 0.
    game_portal.drain(4.0)
    assert seat_counts(session=second)["playing"] == 0
    assert summary.players == PLAYERS
