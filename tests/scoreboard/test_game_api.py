"""The game's /v1/updatestatus and /v1/scoreboard resources."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from alienportal.aws import aws_client
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameType
from sessions.services import seat_allocate, session_open
from tests.factories import UserFactory, record
from tests.scoreboard.replay import stream_read_all

pytestmark = [pytest.mark.shards(1), pytest.mark.django_db(transaction=True)]
GOOD = {
    "SessionId": "X181001T215808",
    "Nickname": "John",
    "Score": 251,
    "Lives": 3,
    "Shots": 4,
    "Level": 1,
    "Timestamp": "2018-10-10T23:57:26.137Z",
}


def _client(group: str | None = "Players") -> APIClient:
    user = UserFactory(username=f"u-{group}", roles=[group] if group else [])
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_status_update_lands_on_the_stream_keyed_by_nickname(stream: str) -> None:
    session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS, session_id=GOOD["SessionId"])
    seat_allocate(nickname="John")
    response = _client("Managers").post("/v1/updatestatus", data=json.dumps(GOOD), content_type="application/json")

    assert response.status_code == 200, response.content
    records = [item for items in stream_read_all(aws_client("kinesis"), stream).values() for item in items]
    assert [(item["PartitionKey"], json.loads(item["Data"])) for item in records] == [("John", GOOD)]
    assert response.json()["SequenceNumber"] == records[0]["SequenceNumber"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (json.dumps({**GOOD, "Score": -1}).encode(), "out_of_range"),
        (json.dumps({**GOOD, "Lives": "three"}).encode(), "wrong_type"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "Nickname"}).encode(), "missing_field"),
    ],
)
def test_a_bad_status_update_is_refused_and_never_reaches_the_stream(stream: str, body: bytes, code: str) -> None:
    response = _client("Managers").post("/v1/updatestatus", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errorCode"] == code
    assert response.json()["errorMessage"]
    assert stream_read_all(aws_client("kinesis"), stream) == {"shardId-000000000000": []}


def test_the_scoreboard_lists_standings_in_ranking_order(make_session, fence) -> None:
    make_session(top_x=3)
    batch_persist(
        fence=fence,
        records=[
            record(1, nickname="low", score=10),
            record(2, nickname="top", score=90),
            record(3, nickname="mid", score=50, lives=1),
            record(4, nickname="mid2", score=50, lives=2),
            StreamRecord(5, b"junk"),
        ],
    )
    client = _client()

    response = client.get("/v1/scoreboard", {"sessionId": "X261127T100000"})

    assert response.status_code == 200
    assert [row["Nickname"] for row in response.json()["Scoreboard"]] == ["top", "mid2", "mid"]  # top X = 3
    assert response.json()["Scoreboard"][0] == {
        "Score": 90,
        "Level": 1,
        "Shots": 10,
        "Nickname": "top",
        "Lives": 3,
        "Timestamp": "2026-11-27T10:00:00.000Z",  # as JavaScript's Date.toJSON() writes it
    }
    # The original answered an empty scoreboard for a session it did not know (or none named).
    for query in ({"sessionId": "NOPE"}, {}):
        missing = client.get("/v1/scoreboard", query)
        assert (missing.status_code, missing.json()) == (200, {"Scoreboard": []})


def test_only_players_and_managers_use_the_game_api(make_session) -> None:
    make_session()
    assert _client("Support").get("/v1/scoreboard", {"sessionId": "X261127T100000"}).status_code == 403
    assert _client("Managers").get("/v1/scoreboard", {"sessionId": "X261127T100000"}).status_code == 200
    assert APIClient().get("/v1/scoreboard", {"sessionId": "X261127T100000"}).status_code in (401, 403)


def test_the_game_resources_are_in_the_openapi_schema() -> None:
    user = UserFactory(username="schema")
    client = APIClient()
    client.force_authenticate(user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/v1/updatestatus"]["post"]
    assert set(post["responses"]) == {"200", "400", "403", "422", "503"}
    request_schema = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][request_schema]["properties"]) == set(GOOD)
    assert schema["paths"]["/v1/scoreboard"]["get"]["operationId"] == "scoreboard"
