"""History: the callbacks answer from the history selectors, with bad filters refused politely."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from scoreboard.selectors.history import leaderboard_window
from sessions.models import GameSession
from tests.factories import BASE_TIME, GameSessionFactory
from tests.portal import portal_client
from tests.reports.dashboards.dash import SESSION_ID, dash_update

pytestmark = pytest.mark.django_db

OUTPUT = (
    "..problem.children...problem.style...leaderboard.children...leaderboard-chart.figure"
    "...sessions-table.children...sessions-chart.figure...player-table.children"
    "...timeline-session.options...timeline-session.value.."
)


def history_body(*, start: Any = None, end: Any = None, sessions: Any = None, nickname: Any = None) -> dict[str, Any]:
    return {
        "output": OUTPUT,
        "outputs": [],
        "inputs": [{"id": "apply", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "date-from", "property": "value", "value": start},
            {"id": "date-to", "property": "value", "value": end},
            {"id": "game-type", "property": "value", "value": None},
            {"id": "sessions", "property": "value", "value": sessions},
            {"id": "nickname", "property": "value", "value": nickname},
        ],
    }


def cells(component: Any) -> list[list[Any]]:
    rows = component["props"]["children"][1]["props"]["children"]
    return [[cell["props"]["children"] for cell in row["props"]["children"]] for row in rows]


@pytest.fixture
def two_sessions(game_session: GameSession, standings_put: Any) -> tuple[GameSession, GameSession]:
    standings_put([("ann", 300, 3, 10), ("bob", 500, 1, 40)])
    game_session.closing_time = BASE_TIME
    game_session.save()
    later = GameSessionFactory(
        session_id="X261128T100000", opening_time=BASE_TIME + timedelta(days=1) - timedelta(hours=1)
    )
    standings_put([("ann", 900, 2, 5), ("cid", 100, 3, 1)], session_id=later.session_id, seconds=86_400)
    return game_session, later


@pytest.mark.parametrize("role", ["manager", "support"])
def test_best_players_sessions_compared_and_a_players_history(role: str, request: Any, two_sessions: Any) -> None:
    first, later = two_sessions
    answer = dash_update(
        portal_client(request.getfixturevalue(role)), "history", history_body(start="2026-11-27", nickname="ann")
    )
    assert answer.status_code == 200
    response = answer.json()["response"]
    board = cells(response["leaderboard"]["children"])
    expected = leaderboard_window(opened_from=None, limit=20)
    assert [(row[1], row[2]) for row in board] == [(e.nickname, e.score) for e in expected]
    assert [(row[1], row[2], row[5]) for row in board] == [
        ("ann", 900, later.session_id),
        ("bob", 500, SESSION_ID),
        ("cid", 100, later.session_id),
    ]
    compared = cells(response["sessions-table"]["children"])
    assert [(row[0], row[3], row[5], row[6]) for row in compared] == [
        (later.session_id, 2, 900, "ann"),
        (first.session_id, 2, 500, "bob"),
    ]
    history = cells(response["player-table"]["children"])
    assert [(row[0], row[2], row[5]) for row in history] == [
        (later.session_id, 900, "#1 of 2"),
        (first.session_id, 300, "#2 of 2"),
    ]
    assert response["timeline-session"]["value"] == later.session_id


def test_chosen_sessions_are_compared_in_the_order_chosen(manager: Any, two_sessions: Any) -> None:
    first, later = two_sessions
    body = history_body(sessions=[first.session_id, later.session_id, "unknown"])
    compared = cells(
        dash_update(portal_client(manager), "history", body).json()["response"]["sessions-table"]["children"]
    )
    assert [row[0] for row in compared] == [first.session_id, later.session_id]


def test_the_score_over_time_comes_from_the_events(manager: Any, game_session: GameSession, standings_put: Any) -> None:
    standings_put([("ann", 10, 3, 1)])
    standings_put([("ann", 50, 3, 2)], seconds=10)
    standings_put([("ann", 70, 2, 3)], seconds=20)
    body = {
        "output": "timeline-chart.figure",
        "outputs": {"id": "timeline-chart", "property": "figure"},
        "inputs": [{"id": "timeline-session", "property": "value", "value": game_session.session_id}],
        "state": [{"id": "nickname", "property": "value", "value": "ann"}],
    }
    figure = dash_update(portal_client(manager), "history", body).json()["response"]["timeline-chart"]["figure"]
    assert figure["data"][0]["y"] == [10, 50, 70]


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("27/11/2026", None, "From must be a date (YYYY-MM-DD)."),
        ("2026-11-28", "2026-11-26", "From must not be after To."),
    ],
)
def test_bad_dates_are_explained_not_a_500(manager: Any, start: str, end: Any, problem: str) -> None:
    answer = dash_update(portal_client(manager), "history", history_body(start=start, end=end))
    assert answer.status_code == 200
    assert answer.json()["response"]["problem"]["children"] == problem


def test_strangers_and_players_are_refused_history(player: Any) -> None:
    assert dash_update(Client(), "history", history_body()).status_code == 302
    assert dash_update(portal_client(player), "history", history_body()).status_code == 403
