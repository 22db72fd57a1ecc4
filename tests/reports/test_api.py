"""The reports API as a REST client sees it: shapes, filters, errors, pages, windows, 304s and CSV."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict
from datetime import timedelta

import pytest
from django.test import Client
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_http_date

from alienportal.models import AuditEntry
from reports.api.exports import csv_cell
from reports.api.players import LeaderboardOutput
from reports.api.serializers import LEADERBOARD_COLUMNS, RANKED_COLUMNS, SESSION_COLUMNS
from reports.api.sessions import PositionOutput, RankingOutput
from scoreboard.models import DeadLetter
from scoreboard.selectors import ranking_around
from scoreboard.selectors.history import leaderboard_window
from scoreboard.selectors.windows import ranking_window
from sessions.models import GameType
from sessions.selectors import session_map
from tests.factories import BASE_TIME
from tests.reports.callers import MANAGER, SUPPORT, body
from tests.tokens import claims_for

pytestmark = pytest.mark.django_db(transaction=True)

S1, S2, S3 = "X261127T070000", "X261127T080000", "X261127T090000"


@pytest.fixture
def three(played):  # type: ignore[no-untyped-def]
    played.session(S1, hours_ago=3, game_type=GameType.SINGLE_TRIAL)
    played.session(S2, hours_ago=2)
    played.session(S3, hours_ago=1, closed=False, top_x=3)
    played.scores(S1, {"ann": 500, "bob": 300, "=cmd": 900})
    played.scores(S2, {"ann": 100, "bob": 700, "cy": 700})
    played.scores(S3, {f"p{i:02d}": 10 * i for i in range(12)} | {"ann": 55, "+1": 5, "@x": 5, "-2": 5})
    return played


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_unknown_filters_and_bad_values_are_400_with_a_message(rest, three) -> None:  # type: ignore[no-untyped-def]
    unknown = rest.get("/api/v1/sessions/?colour=red&state=open")
    assert unknown.status_code == 400
    assert body(unknown) == {
        "errorMessage": "Unknown query parameter: colour. Allowed: cursor, game_type, opened_from, opened_to, "
        "page_size, state.",
        "errorCode": "UnknownParameter",
    }
    for path, field in [
        ("/api/v1/sessions/?state=ajar", "state"),
        ("/api/v1/sessions/?game_type=CHESS", "game_type"),
        ("/api/v1/sessions/?opened_from=yesterday", "opened_from"),
        (f"/api/v1/sessions/{S3}/ranking/?start=0", "start"),
        (f"/api/v1/sessions/{S3}/ranking/?limit=501", "limit"),
        (f"/api/v1/sessions/{S3}/players/ann/?before=-1", "before"),
        ("/api/v1/dead-letters/?replayed=maybe", "replayed"),
        ("/api/v1/sessions/compare/", "session_id"),
    ]:
        answer = rest.get(path)
        assert answer.status_code == 400, path
        assert body(answer)["errorCode"] == "Invalid"
        assert list(body(answer)["fields"]) == [field], path
    for path in ["/api/v1/sessions/?page_size=abc", "/api/v1/sessions/?page_size=0", "/api/v1/sessions/?cursor=zz"]:
        answer = rest.get(path)
        assert answer.status_code == 400, path
        assert body(answer)["errorMessage"]
    assert body(rest.get("/api/v1/sessions/?opened_from=2026-11-27T10:00Z&opened_to=2026-11-27T09:00Z")) == {
        "next": None,
        "previous": None,
        "results": [],
    }
    assert body(rest.get("/api/v1/sessions/?state=open&state="))["fields"] == {"state": ["Must not be empty."]}
    missing = rest.get("/api/v1/sessions/X000000T000000/ranking/")
    assert (missing.status_code, body(missing)) == (
        404,
        {"errorMessage": "No session 'X000000T000000'.", "errorCode": "SessionNotFound"},
    )
    assert rest.get(f"/api/v1/sessions/compare/?session_id={S1}&session_id=nope").status_code == 404
    assert rest.get(f"/api/v1/sessions/{S3}/players/nobody/").status_code == 404


def test_session_lists_page_by_cursor_without_skipping_or_repeating_while_sessions_open(rest, played) -> None:  # type: ignore[no-untyped-def]
    for hour in range(5):
        played.session(f"X2611270{hour}0000", hours_ago=10 - hour)
    first = body(rest.get("/api/v1/sessions/?page_size=2"))
    assert [s["session_id"] for s in first["results"]] == ["X261127040000", "X261127030000"]
    played.session("X261127T095900", hours_ago=0.1, closed=False)  # opens meanwhile: newest, before page 1
    seen = [s["session_id"] for s in first["results"]]
    page = first
    while page["next"]:
        page = body(rest.get(page["next"]))
        seen += [s["session_id"] for s in page["results"]]
    assert seen == [f"X2611270{hour}0000" for hour in reversed(range(5))]
    state = body(rest.get("/api/v1/sessions/?state=open"))["results"]
    assert [(s["session_id"], s["state"], s["closing_time"]) for s in state] == [("X261127T095900", "open", None)]


def test_a_session_summary_and_sessions_side_by_side(rest, three) -> None:  # type: ignore[no-untyped-def]
    detail = body(rest.get(f"/api/v1/sessions/{S2}/"))
    assert detail["session_id"] == S2
    assert detail["state"] == "closed"
    assert {key: detail["summary"][key] for key in ("players", "records", "discards", "dead_letters")} == {
        "players": 3,
        "records": 3,
        "discards": 0,
        "dead_letters": 0,
    }
    assert (detail["summary"]["top_score"], detail["summary"]["leader"]) == (700, "bob")  # bob < cy by nickname
    assert detail["summary"]["duration_seconds"] == 3 * 3600
    compared = body(rest.get(f"/api/v1/sessions/compare/?session_id={S3}&session_id={S1}"))
    assert [(s["session_id"], s["players"], s["top_score"]) for s in compared["results"]] == [
        (S3, 16, 110),
        (S1, 3, 900),
    ]


def test_ranking_windows_say_when_they_were_read_and_where_the_next_one_starts(rest, three) -> None:  # type: ignore[no-untyped-def]
    top = body(rest.get(f"/api/v1/sessions/{S3}/ranking/"))
    assert (top["count"], top["start"], top["limit"]) == (16, 1, 3)  # the session's top X
    assert [row["nickname"] for row in top["results"]] == ["p11", "p10", "p09"]
    assert [row["rank"] for row in top["results"]] == [1, 2, 3]
    assert top["as_of"]
    assert top["previous"] is None
    window = body(rest.get(top["next"].replace("http://testserver", "") + "&limit=5"))
    assert window["start"] == 4
    assert [row["nickname"] for row in window["results"]] == ["p08", "p07", "p06", "ann", "p05"]
    last = body(rest.get(f"/api/v1/sessions/{S3}/ranking/?start=13&limit=10"))
    # Equal scores: Lives desc, then Shots asc, then nickname (code point order: "+" < "-" < "@" < "p").
    assert [row["nickname"] for row in last["results"]] == ["+1", "-2", "@x", "p00"]
    assert last["next"] is None
    assert body(rest.get(f"/api/v1/sessions/{S3}/ranking/?start=17"))["results"] == []

    position = body(rest.get(f"/api/v1/sessions/{S3}/players/ann/?before=1&after=2"))
    assert (position["rank"], position["count"], position["percentile"]) == (7, 16, 62.5)
    assert [(row["rank"], row["nickname"]) for row in position["around"]] == [
        (6, "p06"),
        (7, "ann"),
        (8, "p05"),
        (9, "p04"),
    ]


def test_the_hot_windows_say_exactly_what_their_serializers_would(rest, three) -> None:  # type: ignore[no-untyped-def]
    # The ranking page, a player's place and the leaderboard write plain dicts for speed; each must
    # be, key for key and in order, what its Output serializer writes from the same rows.
    session = session_map(session_ids=[S3])[S3]
    page = rest.get(f"/api/v1/sessions/{S3}/ranking/?start=2&limit=5").json()
    rows = [asdict(row) for row in ranking_window(session=session, start=2, limit=5)]
    expected = RankingOutput({**page, "as_of": parse_datetime(page["as_of"]), "results": rows}).data
    assert json.dumps(page) == json.dumps(expected)

    place = rest.get(f"/api/v1/sessions/{S3}/players/ann/?before=2&after=1").json()
    around = [asdict(row) for row in ranking_around(session=session, nickname="ann", before=2, after=1)]
    expected = PositionOutput({**place, "as_of": parse_datetime(place["as_of"]), "around": around}).data
    assert json.dumps(place) == json.dumps(expected)

    board = rest.get("/api/v1/leaderboard/?start=2&limit=3").json()
    entries = [asdict(entry) for entry in leaderboard_window(start=2, limit=3)]
    expected = LeaderboardOutput({**board, "as_of": parse_datetime(board["as_of"]), "results": entries}).data
    assert json.dumps(board) == json.dumps(expected)
    assert board["results"][0]["event_time"].endswith("Z")


def test_rankings_and_summaries_answer_304_until_they_change(rest, three) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/v1/sessions/{S3}/ranking/"
    first = rest.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert rest.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert rest.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert rest.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    three.scores(S3, {"p11": 1000})  # p11 was already first: the top 3 are the same players, p11's score is not
    changed = rest.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert body(changed)["results"][0]["score"] == 1000
    assert rest.get(path, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304

    summary = rest.get(f"/api/v1/sessions/{S2}/")
    assert rest.get(f"/api/v1/sessions/{S2}/", HTTP_IF_NONE_MATCH=summary["ETag"]).status_code == 304
    # An open session's duration grows between reads; its ETag only moves with its figures.
    running = rest.get(f"/api/v1/sessions/{S3}/")
    assert rest.get(f"/api/v1/sessions/{S3}/", HTTP_IF_NONE_MATCH=running["ETag"]).status_code == 304
    old = http_date((BASE_TIME - timedelta(days=1)).timestamp())
    assert rest.get(f"/api/v1/sessions/{S2}/", HTTP_IF_MODIFIED_SINCE=old).status_code == 200
    leaderboard = rest.get("/api/v1/leaderboard/")
    assert rest.get("/api/v1/leaderboard/", HTTP_IF_NONE_MATCH=leaderboard["ETag"]).status_code == 304


def _next_second_starts() -> None:
    time.sleep(1.02 - time.time() % 1)  # the first twentieth of a second


def test_last_modified_stays_with_the_content_across_seconds(rest, three) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/v1/sessions/{S3}/ranking/"
    first = rest.get(path)
    _next_second_starts()  # the next answers are in a later second than the first
    again = rest.get(path)
    assert again["Last-Modified"] == first["Last-Modified"]
    assert rest.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_change_within_the_same_second_is_never_answered_304_by_date(rest, three) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/v1/sessions/{S3}/ranking/"
    _next_second_starts()
    first = rest.get(path)  # first answered now: Last-Modified is this second
    seen = parse_http_date(first["Last-Modified"])
    three.scores(S3, {"p11": 2000})  # within the same second, unless the machine is very slow
    changed = rest.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    read_at = time.time()
    assert changed.status_code == 200
    assert body(changed)["results"][0]["score"] == 2000
    if "Last-Modified" in changed:  # a later second than the old content's, never one still to come
        assert seen < parse_http_date(changed["Last-Modified"]) <= read_at
    _next_second_starts()
    later = rest.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert later.status_code == 200
    assert parse_http_date(later["Last-Modified"]) > seen
    assert rest.get(path, HTTP_IF_MODIFIED_SINCE=later["Last-Modified"]).status_code == 304


def test_the_leaderboard_and_a_players_history(rest, three) -> None:  # type: ignore[no-untyped-def]
    board = body(rest.get("/api/v1/leaderboard/?limit=4"))
    assert [(e["rank"], e["nickname"], e["score"], e["session_id"]) for e in board["results"]] == [
        (1, "=cmd", 900, S1),
        (2, "bob", 700, S2),
        (3, "cy", 700, S2),
        (4, "ann", 500, S1),
    ]
    assert board["next"].endswith("start=5")
    recent = body(rest.get("/api/v1/leaderboard/?opened_from=2026-11-27T07:30:00Z&limit=2"))
    assert [(e["nickname"], e["session_id"]) for e in recent["results"]] == [("bob", S2), ("cy", S2)]
    entries = leaderboard_window(start=1, limit=100)
    everything = body(rest.get("/api/v1/leaderboard/?limit=100"))["results"]
    assert [(e["rank"], e["nickname"]) for e in everything] == [(e.rank, e.nickname) for e in entries]

    history = body(rest.get("/api/v1/players/ann/history/?page_size=2"))
    assert [(h["session_id"], h["score"], h["rank"], h["players"]) for h in history["results"]] == [
        (S3, 55, 7, 16),
        (S2, 100, 3, 3),
    ]
    rest_of_it = body(rest.get(history["next"]))
    assert [(h["session_id"], h["rank"], h["percentile"]) for h in rest_of_it["results"]] == [(S1, 2, 66.667)]
    assert rest_of_it["next"] is None
    assert body(rest.get("/api/v1/players/nobody/history/"))["results"] == []
    players = body(rest.get("/api/v1/players/?search=p0"))["results"]
    assert [p["nickname"] for p in players] == [f"p{i:02d}" for i in range(10)]
    ann = body(rest.get("/api/v1/players/?search=ann"))["results"]
    assert ann == [{"nickname": "ann", "sessions": 3, "best_score": 500, "last_played": ann[0]["last_played"]}]
    # A nickname may be 128 characters long, and so may its search; a longer one is a 400 with a message.
    assert body(rest.get("/api/v1/players/?search=" + "a" * 128))["results"] == []
    too_long = rest.get("/api/v1/players/?search=" + "a" * 129)
    assert too_long.status_code == 400
    assert "128" in json.dumps(too_long.json())


def test_csv_exports_equal_the_json_in_the_documented_columns_and_cannot_run_formulas(rest, three) -> None:  # type: ignore[no-untyped-def]
    ranking = _csv(rest.get(f"/api/v1/sessions/{S3}/ranking/export.csv"))
    assert ranking[0] == list(RANKED_COLUMNS)
    as_json = body(rest.get(f"/api/v1/sessions/{S3}/ranking/?limit=100"))["results"]
    assert [row[:5] for row in ranking[1:]] == [
        [str(r["rank"]), csv_cell(r["nickname"]), str(r["score"]), str(r["lives"]), str(r["shots"])] for r in as_json
    ]
    assert [row[1] for row in ranking[-4:]] == ["'+1", "'-2", "'@x", "p00"]

    board = _csv(rest.get("/api/v1/leaderboard/export.csv?opened_to=2026-11-27T08:30:00Z"))
    assert board[0] == list(LEADERBOARD_COLUMNS)
    assert [row[1] for row in board[1:]] == ["'=cmd", "bob", "cy", "ann"]

    sessions = _csv(rest.get("/api/v1/sessions/export.csv?state=closed"))
    assert sessions[0] == list(SESSION_COLUMNS)
    assert [row[0] for row in sessions[1:]] == [S2, S1]
    assert rest.get("/api/v1/sessions/export.csv?cursor=abc").status_code == 400  # exports are not paged

    history = _csv(rest.get("/api/v1/players/ann/history/export.csv"))
    assert [row[0] for row in history[1:]] == [S3, S2, S1]
    assert _csv(rest.get("/api/v1/players/export.csv?search=%3D"))[1][0] == "'=cmd"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_text(value, cell) -> None:  # type: ignore[no-untyped-def]
    assert csv_cell(value) == cell


def test_pipeline_figures_and_dead_letters_for_monitoring(rest, three) -> None:  # type: ignore[no-untyped-def]
    three.raw(b"{broken")
    three.raw(b'{"SessionId": "X991231T000000", "Nickname": "z", "Score": 1, "Lives": 1, "Shots": 1, "Level": 1,'
              b' "Timestamp": "2026-11-27T10:00:00.000Z"}')  # fmt: skip
    shards = body(rest.get("/api/v1/pipeline/shards/"))["results"]
    assert [(s["shard_id"], s["checkpoint"], s["records_processed"], s["dead_letters"]) for s in shards] == [
        ("shardId-000000000000", str(three.sequence), three.sequence, 2)
    ]
    counts = body(rest.get("/api/v1/dead-letters/counts/"))["results"]
    assert [(c["reason"], c["total"], c["waiting"]) for c in counts] == [
        ("invalid_json", 1, 1),
        ("unknown_session", 1, 1),
    ]
    letters = body(rest.get("/api/v1/dead-letters/?reason=unknown_session"))["results"]
    assert [(letter["session_id"], letter["sequence_number"]) for letter in letters] == [
        ("X991231T000000", str(three.sequence))
    ]
    exported = _csv(rest.get("/api/v1/dead-letters/export.csv?replayed=false"))
    assert [row[3] for row in exported[1:]] == ["invalid_json", "unknown_session"]


def _replay_entries() -> list[tuple[str, str, str, dict]]:  # type: ignore[type-arg]
    return [
        (entry.actor_name, entry.action, entry.target_repr, entry.after)
        for entry in AuditEntry.objects.filter(action="dead_letters.replay").order_by("id")
    ]


def test_a_replay_through_the_api_is_in_the_audit_log_like_one_from_the_admin(callers, played, test_key) -> None:  # type: ignore[no-untyped-def]
    late = b'{"SessionId": "X261127T110000", "Nickname": "ann", "Score": 5, "Lives": 1, "Shots": 1, "Level": 1, "Timestamp": "2026-11-27T10:00:00.000Z"}'  # noqa: E501
    played.raw(late)
    played.raw(b"{broken")
    played.session("X261127T110000")
    refused = callers(SUPPORT).post("/api/v1/dead-letters/replay/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert _replay_entries() == []

    answer = callers(MANAGER).post("/api/v1/dead-letters/replay/", {}, content_type="application/json")

    assert body(answer) == {"examined": 2, "replayed": 1, "still_dead": 1, "reasons": {"invalid_json": 1}}
    letters = list(DeadLetter.objects.order_by("pk").values_list("pk", flat=True))
    assert _replay_entries() == [
        (
            MANAGER,
            "dead_letters.replay",
            "2 dead letters: 1 replayed, 1 still dead",
            {
                "limit": 10_000,
                "examined": 2,
                "replayed": 1,
                "still_dead": 1,
                "still_dead_reasons": {"invalid_json": 1},
                "dead_letters": letters,
            },
        )
    ]
    # A manager's token (the reports client, a person's access token) is named, not "system".
    token = test_key.sign(claims_for(**{"cognito:username": "mia", "cognito:groups": ["Managers"]}))
    again = Client().post(
        "/api/v1/dead-letters/replay/",
        {"reason": "invalid_json", "limit": 5},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert body(again)["examined"] == 1
    by_token = _replay_entries()[1]
    assert by_token[:3] == ("mia (token)", "dead_letters.replay", "1 dead letters: 0 replayed, 1 still dead")
    assert (by_token[3]["reasons"], by_token[3]["limit"]) == (["invalid_json"], 5)
    # The manager reads both in the audit log, as the admin's own replays.
    log = callers(MANAGER).get("/admin/alienportal/auditentry/?action=dead_letters.replay").content.decode()
    assert log.count("dead_letters.replay</td>") == 2
    assert "mia (token)" in log
