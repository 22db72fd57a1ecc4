"""Dashboards show moments as every portal page does: the viewer's zone, the portal's format, ISO 8601 on hover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sessions.models import GameSession
from sessions.services import session_close
from tests.factories import BASE_TIME, GameSessionFactory
from tests.portal import portal_client
from tests.reports.dashboards.dash import SESSION_ID, dash_update
from tests.reports.dashboards.health_state import shard_inject
from tests.reports.dashboards.test_health import health_body
from tests.reports.dashboards.test_history import history_body
from tests.reports.dashboards.test_live_callbacks import ranking_body

pytestmark = pytest.mark.django_db

TOKYO = "Asia%2FTokyo"  # as static/alienportal/timezone.js writes the cookie


def _times(tree: Any) -> Iterator[dict[str, Any]]:
    """The props of every <time> in a Dash layout as JSON."""
    if isinstance(tree, list):
        for item in tree:
            yield from _times(item)
    elif isinstance(tree, dict) and "props" in tree:
        if tree.get("type") == "Time":
            yield tree["props"]
        yield from _times(tree["props"].get("children"))


def _client(user: Any) -> Any:
    client = portal_client(user)
    client.cookies["portal_tz"] = TOKYO
    return client


def test_the_live_ranking_heading_says_when_the_session_opened_and_closed_in_the_viewers_zone(
    manager: Any, game_session: GameSession
) -> None:
    client = _client(manager)
    heading = dash_update(client, "live_ranking", ranking_body()).json()["response"]["session-title"]["children"]
    assert heading[0] == f"{SESSION_ID} · Multiple trials · open "
    assert heading[1]["props"]["children"][0] == "since "
    # BASE_TIME - 1 h = 09:00 UTC = 18:00 in Tokyo; ISO (UTC) on hover, as {% when %} renders it.
    assert list(_times(heading)) == [
        {
            "children": "Nov 27, 2026, 18:00:00 JST",
            "dateTime": "2026-11-27T09:00:00.000Z",
            "title": "2026-11-27T09:00:00.000Z",
        }
    ]
    GameSession.objects.filter(pk=game_session.pk).update(closing_time=BASE_TIME + timedelta(minutes=30))
    heading = dash_update(client, "live_ranking", ranking_body()).json()["response"]["session-title"]["children"]
    assert [time["children"] for time in _times(heading)] == [
        "Nov 27, 2026, 18:00:00 JST",
        "Nov 27, 2026, 19:30:00 JST",
    ]
    assert heading[0] == f"{SESSION_ID} · Multiple trials · closed "


def test_history_shows_opening_times_and_reads_days_in_the_viewers_zone(
    manager: Any, game_session: GameSession
) -> None:
    # 23:30 UTC on the 27th is 08:30 on the 28th in Tokyo: a Tokyo viewer finds it under the 28th.
    # One session is open at a time: the fixture's closes before this one opens.
    session_close(manager=None, session=game_session)
    late = GameSessionFactory(
        session_id="X261127T233000",
        opening_time=BASE_TIME + timedelta(hours=13.5),
        closing_time=BASE_TIME + timedelta(hours=14),
    )
    client = _client(manager)
    response = dash_update(client, "history", history_body(start="2026-11-28")).json()["response"]
    table = response["sessions-table"]["children"]
    assert [time["children"] for time in _times(table)] == ["Nov 28, 2026, 08:30:00 JST"]
    assert late.session_id in str(table)
    assert game_session.session_id not in str(table)  # 18:00 JST on the 27th


def test_health_ages_carry_the_moment_and_the_dead_letter_minutes_are_the_viewers(manager: Any) -> None:
    shard_inject("shardId-000000000000", archive_lag_s=30)
    response = dash_update(_client(manager), "ops_health", health_body()).json()["response"]
    times = list(_times(response["health-body"]["children"]))
    assert times
    for moment in times:
        assert moment["children"].endswith((" s ago", " s")), moment
        assert moment["title"].endswith(" JST"), moment  # the portal's format on hover
        assert moment["dateTime"].endswith("Z"), moment
    axis = response["dead-letter-chart"]["figure"]["layout"]["xaxis"]
    assert axis["title"]["text"] == "minute (JST)"
    now_in_tokyo = timezone.now() + timedelta(hours=9)
    # (the minute may have turned between the callback's read of the clock and this one)
    assert axis["categoryarray"][-1] in {f"{now_in_tokyo:%H:%M}", f"{now_in_tokyo - timedelta(minutes=1):%H:%M}"}
