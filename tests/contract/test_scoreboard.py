"""GET /v1/scoreboard?sessionId=X as AWSFacade.getScoreboard calls it (every 2 s while playing)."""

from __future__ import annotations

import json
from functools import cmp_to_key

import pytest

from alienportal.redis_clients import redis_client
from scoreboard.stream.leases import Fence
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameType
from sessions.services import session_open
from tests.contract.game import GameClient, Pool
from tests.contract.test_updatestatus import status_of

pytestmark = pytest.mark.django_db


def _scoreboard_sort(a: dict[str, object], b: dict[str, object]) -> int:
    # GameUtils.scoreboardSortingFunction, which getScoreboard applies to `Scoreboard`.
    if b["Score"] != a["Score"]:
        return int(b["Score"]) - int(a["Score"])  # type: ignore[call-overload]
    if a["Lives"] != b["Lives"]:
        return int(b["Lives"]) - int(a["Lives"])  # type: ignore[call-overload]
    if a["Shots"] != b["Shots"]:
        return int(a["Shots"]) - int(b["Shots"])  # type: ignore[call-overload]
    return 1 if str(a["Nickname"]) > str(b["Nickname"]) else -1


def _scoreboard(client: GameClient, session_id: str) -> list[dict[str, object]]:
    status, text = client.get("scoreboard", f"sessionId={session_id}")
    assert status == 200, text
    board = json.loads(text)["Scoreboard"]
    return sorted(board, key=cmp_to_key(_scoreboard_sort))


def test_the_top_x_in_the_fields_the_starfield_prints(pool: Pool, fence: Fence) -> None:
    redis_client().flushdb()
    _, player = pool.player()
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS, top_x=3)
    games = {"ann": (90, 2, 10), "bob": (90, 3, 12), "cid": (50, 3, 5), "dan": (10, 3, 1)}
    records = [
        StreamRecord(n, json.dumps(status_of(session.session_id, name, score=s, lives=lv, shots=sh, level=2)).encode())
        for n, (name, (s, lv, sh)) in enumerate(games.items(), start=1)
    ]
    batch_persist(fence=fence, records=records)

    board = _scoreboard(player, session.session_id)

    # Starfield.draw prints Nickname, Score, Lives, Shots and Level of each row (top X of them).
    assert [(row["Nickname"], row["Score"], row["Lives"], row["Shots"], row["Level"]) for row in board] == [
        ("bob", 90, 3, 12, 2),
        ("ann", 90, 2, 10, 2),
        ("cid", 50, 3, 5, 2),
    ]
    # Served already in that order (the original stored it sorted).
    assert json.loads(player.get("scoreboard", f"sessionId={session.session_id}")[1])["Scoreboard"] == board
    assert str(board[0]["Timestamp"]).endswith("Z")
    assert len(str(board[0]["Timestamp"])) == 24


def test_an_unknown_session_is_an_empty_scoreboard(pool: Pool) -> None:
    _, player = pool.player()
    assert player.get("scoreboard", "sessionId=X990101T000000") == (200, '{"Scoreboard":[]}')
