"""The live ranking's callbacks through django-plotly-dash's update endpoint, as the renderer calls them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from scoreboard.selectors import ranking_top
from tests.portal import portal_client
from tests.reports.dashboards.dash import dash_update

pytestmark = pytest.mark.django_db

RANKING_OUTPUT = (
    "..session-title.children...top-rows.children...top-chart.figure"
    "...player-position.children...around-rows.children...seen.data...polled.data.."
)
STATS_OUTPUT = (
    "..stat-taken.children...stat-free.children...stat-playing.children...stat-finished.children"
    "...stat-rate.children...stat-time-left.children...rate-samples.data.."
)


def ranking_body(*, search: str = "", player: str | None = None, seen: str | None = None) -> dict[str, Any]:
    return {
        "output": RANKING_OUTPUT,
        "outputs": [
            {"id": id_, "property": prop}
            for id_, prop in [
                ("session-title", "children"),
                ("top-rows", "children"),
                ("top-chart", "figure"),
                ("player-position", "children"),
                ("around-rows", "children"),
                ("seen", "data"),
                ("polled", "data"),
            ]
        ],
        "inputs": [
            {"id": "poll", "property": "data", "value": 7},
            {"id": "tick", "property": "n_intervals", "value": 3},
            {"id": "url", "property": "search", "value": search},
            {"id": "player", "property": "value", "value": player},
        ],
        "state": [{"id": "seen", "property": "data", "value": seen}],
        "changedPropIds": ["poll.data"],
    }


def names_and_scores(response_json: dict[str, Any]) -> list[tuple[str, int]]:
    rows = response_json["response"]["top-rows"]["children"]
    return [
        (row["props"]["children"][1]["props"]["children"], row["props"]["children"][2]["props"]["children"])
        for row in rows
    ]


@pytest.fixture
def ranked(game_session, standings_put):  # type: ignore[no-untyped-def]
    standings_put([("ann", 300, 3, 10), ("bob", 500, 1, 40), ("cid", 500, 2, 40), ("dee", 500, 2, 12)])
    return game_session


@pytest.mark.parametrize("role", ["manager", "support"])
def test_the_ranking_callback_answers_the_selectors_top_x(role: str, request: Any, ranked: Any) -> None:
    response = dash_update(portal_client(request.getfixturevalue(role)), "live_ranking", ranking_body(player="ann"))

    assert response.status_code == 200
    answer = response.json()
    expected = [(row.nickname, row.score) for row in ranking_top(session=ranked, limit=ranked.top_x)]
    assert names_and_scores(answer) == expected == [("dee", 500), ("cid", 500), ("bob", 500), ("ann", 300)]
    figure = answer["response"]["top-chart"]["figure"]
    assert figure["data"][0]["y"] == ["1. dee", "2. cid", "3. bob", "4. ann"]
    assert answer["response"]["player-position"]["children"].startswith("ann is #4 of 4")


def test_nothing_changed_means_no_update(manager: Any, ranked: Any, standings_put: Any) -> None:
    client = portal_client(manager)
    first = dash_update(client, "live_ranking", ranking_body()).json()
    seen = first["response"]["seen"]["data"]

    unchanged = dash_update(client, "live_ranking", ranking_body(seen=seen))
    # Nothing shown is sent again; only the poll counter, which schedules the next poll.
    assert unchanged.json()["response"] == {"polled": {"data": 8}}

    standings_put([("new", 999, 3, 1)], seconds=5)
    moved = dash_update(client, "live_ranking", ranking_body(seen=seen))
    assert moved.status_code == 200
    assert names_and_scores(moved.json())[0] == ("new", 999)


def test_a_named_session_and_an_unknown_one(manager: Any, ranked: Any) -> None:
    client = portal_client(manager)
    named = dash_update(client, "live_ranking", ranking_body(search=f"?session={ranked.session_id}")).json()
    assert named["response"]["session-title"]["children"][0].startswith(ranked.session_id)
    unknown = dash_update(client, "live_ranking", ranking_body(search="?session=nope")).json()
    assert unknown["response"]["session-title"]["children"] == "No session 'nope'."
    assert unknown["response"]["top-rows"]["children"] == []


def test_the_stats_callback_counts_seats_and_players(manager: Any, ranked: Any) -> None:
    from sessions.services import seat_allocate, seat_deallocate

    seat_allocate(nickname="ann")
    seat_allocate(nickname="bob")
    seat_deallocate(nickname="bob")
    body = {
        "output": STATS_OUTPUT,
        "outputs": [],
        "inputs": [
            {"id": "stats-tick", "property": "n_intervals", "value": 1},
            {"id": "url", "property": "search", "value": ""},
        ],
        "state": [{"id": "rate-samples", "property": "data", "value": []}],
    }
    answer = dash_update(portal_client(manager), "live_ranking", body).json()["response"]
    shown = {key: value["children"] for key, value in answer.items() if key.startswith("stat-")}
    assert shown == {
        "stat-taken": 1,
        "stat-free": 149,
        "stat-playing": 1,
        "stat-finished": 1,
        "stat-rate": "…",
        "stat-time-left": "—",
    }


def test_strangers_and_players_are_refused(player: Any, ranked: Any) -> None:
    anonymous = dash_update(Client(), "live_ranking", ranking_body())
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/oidc/authenticate/")
    assert dash_update(portal_client(player), "live_ranking", ranking_body()).status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "The body is not JSON."),
        (b"[]", "The body names no callback output."),
        (b'{"output": "nope.children"}', "This dashboard has no such callback."),
        (json.dumps({**ranking_body(), "inputs": "x"}).encode(), "`inputs` must be a list of component values."),
    ],
)
def test_a_malformed_callback_is_a_400_with_a_message(manager: Any, body: bytes, message: str) -> None:
    response = portal_client(manager).post(
        "/reports/dashboards/dash/app/live_ranking/_dash-update-component", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == message


def test_crafted_values_of_the_wrong_type_do_not_break_the_callback(manager: Any, ranked: Any) -> None:
    body = ranking_body()
    body["inputs"][1]["value"] = {"session": 1}
    body["inputs"][2]["value"] = ["ann"]
    assert dash_update(portal_client(manager), "live_ranking", body).status_code == 200


def test_an_unknown_dashboard_is_a_404(manager: Any) -> None:
    assert portal_client(manager).get("/reports/dashboards/dash/app/nope/_dash-layout").status_code == 404


def test_a_leader_on_a_new_game_keeps_his_place_and_the_table_shows_both_games(
    manager: Any, game_session: Any, standings_put: Any
) -> None:
    standings_put([("leo", 5505, 0, 40), ("amy", 900, 1, 9), ("ben", 400, 2, 9)], seconds=10)
    standings_put([("leo", 0, 3, 0)], seconds=20)  # leo starts a new game

    answer = dash_update(portal_client(manager), "live_ranking", ranking_body()).json()

    assert names_and_scores(answer) == [("leo", 5505), ("amy", 900), ("ben", 400)]
    now_playing = [
        row["props"]["children"][5]["props"]["children"] for row in answer["response"]["top-rows"]["children"]
    ]
    assert now_playing == ["new game: 0 pts, 3 lives left", "playing, 1 life left", "playing, 2 lives left"]
