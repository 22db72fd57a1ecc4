"""POST /v1/updatestatus as Game.publishStatus calls it (at most every 300 ms while the state changes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from alienportal.aws import aws_client
from sessions.models import GameType
from sessions.services import session_open
from tests.contract.game import Pool
from tests.scoreboard.replay import stream_read_all

pytestmark = [pytest.mark.shards(1), pytest.mark.django_db]


def status_of(session_id: str, username: str, **game: int) -> dict[str, object]:
    """The status exactly as publishStatus builds it, keys in its order."""
    return {
        "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "SessionId": session_id,
        "Nickname": username,
        "Lives": game.get("lives", 3),
        "Score": game.get("score", 0),
        "Shots": game.get("shots", 0),
        "Level": game.get("level", 1),
    }


def test_a_seated_players_status_reaches_the_stream(pool: Pool, stream: str) -> None:
    username, player = pool.player()
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    player.post("allocate", {"Username": username})
    status = status_of(session.session_id, username, score=25, shots=3)

    code, _ = player.post("updatestatus", status)

    # publishStatus only looks at the status code (its callback logs anything else).
    assert code == 200
    records = [item for items in stream_read_all(aws_client("kinesis"), stream).values() for item in items]
    assert [json.loads(item["Data"]) for item in records] == [status]
