"""A player's neighbours and position in a session's ranking (the reports API's and the live
dashboard's player search), from the Redis index and, when it is gone, from PostgreSQL alone."""

from __future__ import annotations

import pytest

from alienportal.redis_clients import redis_client
from scoreboard.ranking import ranking_is_ready
from scoreboard.selectors import PlayerPosition, ranking_around, ranking_player_position
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
