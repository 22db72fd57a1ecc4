"""A player's neighbours and position in a session's ranking (the reports API's and the live
dashboard's player search), from the Redis index and, when it is gone, from PostgreSQL alone."""

from __future__ import annotations

import pytest

from alienportal.redis_clients import redis_client
from scoreboard.models import Standing
from scoreboard.ranking import ranking_is_ready, ranking_visibility_set
from scoreboard.selectors import (
    PlayerPosition,
    ranking_around,
    ranking_player_position,
    ranking_position_around,
    ranking_top,
)
from scoreboard.selectors.windows import ranking_window_counted
from scoreboard.stream.leases import Fence
from sessions.models import GameSession
from tests.factories import record, records_persist

pytestmark = pytest.mark.django_db

# (nickname, score, lives, shots) in the ranking order: Score desc, Lives desc, Shots asc, Nickname asc.
RANKED = [
    ("ann", 500, 3, 10),
    ("bob", 400, 3, 10),
    ("dan", 400, 2, 3),  # fewer lives than bob, fewer shots than cid
    ("cid", 400, 2, 5),
    ("eve", 300, 3, 10),
    ("fay", 300, 3, 10),  # eve's game exactly: the nickname decides
    ("gus", 100, 1, 1),
]


@pytest.fixture
def session(make_session, fence: Fence) -> GameSession:  # type: ignore[no-untyped-def]
    session = make_session()
    # Put in another order than the ranking's, so the order comes from the rule, not from arrival.
    rows = sorted(RANKED, key=lambda row: row[0][::-1])
    records = [
        record(sequence, session.session_id, nickname, score=score, lives=lives, shots=shots, seconds=sequence)
        for sequence, (nickname, score, lives, shots) in enumerate(rows, start=1)
    ]
    records_persist(fence=fence, records=records)
    return session


def _around(session: GameSession, nickname: str, before: int, after: int) -> list[tuple[int, str]]:
    return [
        (row.rank, row.nickname)
        for row in ranking_around(session=session, nickname=nickname, before=before, after=after)
    ]


def _readings(session: GameSession) -> dict:  # type: ignore[type-arg]
    return {
        "around_cid": _around(session, "cid", before=2, after=2),
        "around_leader": _around(session, "ann", before=5, after=1),
        "around_last": _around(session, "gus", before=1, after=5),
        "around_nobody": _around(session, "nobody", before=5, after=5),
        "positions": {name: ranking_player_position(session=session, nickname=name) for name in ("ann", "cid", "gus")},
        "position_nobody": ranking_player_position(session=session, nickname="nobody"),
    }


EXPECTED = {
    "around_cid": [(2, "bob"), (3, "dan"), (4, "cid"), (5, "eve"), (6, "fay")],
    "around_leader": [(1, "ann"), (2, "bob")],
    "around_last": [(6, "fay"), (7, "gus")],
    "around_nobody": [],
    "positions": {
        "ann": PlayerPosition(rank=1, count=7, percentile=100.0),
        "cid": PlayerPosition(rank=4, count=7, percentile=57.143),
        "gus": PlayerPosition(rank=7, count=7, percentile=14.286),
    },
    "position_nobody": None,
}


def test_neighbours_and_positions_follow_the_ranking_order_from_the_index(session: GameSession) -> None:
    assert ranking_is_ready(session_pk=session.pk)  # the drain's commit built the session's index
    assert _readings(session) == EXPECTED


def test_without_the_index_postgresql_gives_the_same_neighbours_and_positions(session: GameSession) -> None:
    redis_client().flushdb()  # Redis restarted empty
    assert not ranking_is_ready(session_pk=session.pk)
    assert _readings(session) == EXPECTED


def test_neighbours_carry_each_players_ranked_game(session: GameSession) -> None:
    (dan,) = ranking_around(session=session, nickname="dan", before=0, after=0)
    assert (dan.rank, dan.nickname, dan.score, dan.lives, dan.shots) == (3, "dan", 400, 2, 3)


@pytest.mark.parametrize("index", ["ready", "gone"])
def test_position_and_neighbours_read_together_say_what_the_separate_reads_say(session: GameSession, index) -> None:  # type: ignore[no-untyped-def]
    # The reports API reads both at once (one statement and one round trip fewer each); hidden
    # standings stay out of both.
    # As support hides a standing (scoreboard.services.standing_visibility_set): the row, then the index.
    Standing.objects.filter(session=session, nickname="eve").update(hidden=True)
    ranking_visibility_set(session_pk=session.pk, nickname="eve", hidden=True)
    if index == "gone":
        redis_client().flushdb()
    for nickname in ("ann", "bob", "cid", "fay", "gus"):
        for before, after in ((0, 0), (2, 2), (5, 1), (1, 5)):
            together = ranking_position_around(session=session, nickname=nickname, before=before, after=after)
            separate = ranking_around(session=session, nickname=nickname, before=before, after=after)
            assert together == (ranking_player_position(session=session, nickname=nickname), separate)
    assert ranking_position_around(session=session, nickname="eve") is None
    assert ranking_position_around(session=session, nickname="nobody") is None


@pytest.mark.parametrize("index", ["ready", "gone"])
def test_a_window_with_its_count_is_the_ranking_from_that_rank(session: GameSession, index) -> None:  # type: ignore[no-untyped-def]
    if index == "gone":
        redis_client().flushdb()
    for start, limit in ((1, 3), (3, 2), (6, 5), (8, 1)):
        rows, count = ranking_window_counted(session=session, start=start, limit=limit)
        assert count == 7
        assert rows == ranking_top(session=session, limit=limit, offset=start - 1)
        assert [row.nickname for row in rows] == [name for name, *_ in RANKED][start - 1 : start - 1 + limit]
        assert [row.rank for row in rows] == list(range(start, start + len(rows)))
