"""The live ranking of a session: top X table and bar chart, seats, rate, time left, a player's place.

Freshness by polling, not push: the ranking callback first reads the session's standings revision
from Redis (scoreboard.live); while it has not moved it answers `no_update` for everything shown,
so the page does nothing. Polls run one after another: each answer bumps `polled`, and a
client-side function asks again DASHBOARD_LIVE_INTERVAL_MS later. A plain fast `dcc.Interval`
would starve on a loaded server: Dash drops an answer when a newer request for the same outputs
was sent meanwhile, so answers slower than the interval would never be shown. A slow interval
only restarts the loop should a request fail. django-plotly-dash's pipe and poke are never routed.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import ClientsideFunction, dcc, html, no_update
from dash.dependencies import Input, Output, State
from django.conf import settings
from django.utils import timezone

from reports.dashboards.dash_apps import dash_app
from reports.dashboards.moments import when
from scoreboard.live import live_revision
from scoreboard.selectors import RankedStanding, ranking_around, ranking_player_position, ranking_top
from scoreboard.selectors.health import pipeline_records_total
from sessions.models import GameSession, GameType
from sessions.selectors import seat_counts, session_current, session_get

APP_NAME = "live_ranking"
# The rate is the change of the processed-records counter over this many seconds of samples.
RATE_WINDOW_SECONDS = 5.0
NEIGHBOURS = 3
# The slow interval that restarts the poll loop if an answer was lost (a failed request, a reload).
LOOP_RESTART_MS = 2_000

app = dash_app(APP_NAME)


def _ranking_head(*, now_playing_hint: str | None = None) -> html.Thead:
    """The head of a ranking table (the top X and the players around one)."""
    columns = [html.Th(name) for name in ("Rank", "Player", "Score", "Lives", "Shots")]
    return html.Thead(html.Tr([*columns, html.Th("Now playing", title=now_playing_hint)]))


def text(value: Any) -> str:
    """Return a component value as text ("" for anything else a crafted callback might send)."""
    return value if isinstance(value, str) else ""


def session_from_search(search: Any) -> tuple[GameSession | None, str]:
    """Return the session the page's `?session=` names, else the current one, and a message if none."""
    wanted = (parse_qs(text(search).lstrip("?")).get("session") or [""])[0].strip()
    if wanted:
        session = session_get(session_id=wanted[:64])
        return session, "" if session else f"No session {wanted[:64]!r}."
    session = session_current()
    return session, "" if session else "No session yet."


NOW_PLAYING_HINT = "The current game (a row ranks by its best finished game if better)"


def _now_playing(row: RankedStanding) -> str:
    """The player's current game beside the ranked one: their best finished game may rank instead."""
    if row.current_lives is None:
        return ""
    if row.current_lives == 0:
        return "finished"
    lives = f"{row.current_lives} {'life' if row.current_lives == 1 else 'lives'} left"
    if (row.current_score, row.current_lives) == (row.score, row.lives):
        return f"playing, {lives}"  # the ranked game is the one being played
    return f"new game: {row.current_score} pts, {lives}"


def _rows(standings: list[RankedStanding], highlight: str = "") -> list[Any]:
    return [
        html.Tr(
            [
                html.Td(row.rank),
                html.Td(row.nickname, className="nickname"),
                html.Td(row.score, className="score"),
                html.Td(row.lives),
                html.Td(row.shots),
                html.Td(_now_playing(row), className="now"),
            ],
            className="highlight" if row.nickname == highlight else "",
        )
        for row in standings
    ]


def ranking_figure(standings: list[RankedStanding]) -> dict[str, Any]:
    """Return a horizontal bar chart of the scores, best at the top, in exactly the ranking order."""
    labels = [f"{row.rank}. {row.nickname}" for row in standings]
    figure = go.Figure(
        go.Bar(
            x=[row.score for row in standings],
            y=labels,
            orientation="h",
            text=[row.score for row in standings],
            textposition="auto",
            marker_color="#417690",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        # Same uirevision every time: Plotly keeps the view and animates nothing (no flicker).
        uirevision="ranking",
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        height=max(220, 34 * len(standings) + 40),
        # Categories in the order given (the ranking selector's), rank 1 on top.
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed", "automargin": True},
        xaxis={"rangemode": "tozero"},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
    )
    return figure.to_dict()


app.layout = html.Div(
    className="dashboard live-ranking",
    children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="poll", data=0),
        dcc.Store(id="polled", data=0),
        dcc.Store(id="poll-delay", data=settings.DASHBOARD_LIVE_INTERVAL_MS),
        html.Div(id="poll-sink", hidden=True),
        dcc.Interval(id="tick", interval=LOOP_RESTART_MS),
        dcc.Interval(id="stats-tick", interval=1000),
        dcc.Store(id="seen"),
        dcc.Store(id="rate-samples", data=[]),
        html.H2(id="session-title", className="session-title"),
        html.Div(
            className="stats",
            children=[
                html.Div([html.Span("Seats taken", className="label"), html.Span(id="stat-taken", className="value")]),
                html.Div([html.Span("Seats free", className="label"), html.Span(id="stat-free", className="value")]),
                html.Div([html.Span("Playing", className="label"), html.Span(id="stat-playing", className="value")]),
                html.Div([html.Span("Finished", className="label"), html.Span(id="stat-finished", className="value")]),
                html.Div([html.Span("Records/s", className="label"), html.Span(id="stat-rate", className="value")]),
                html.Div(
                    [html.Span("Time left", className="label"), html.Span(id="stat-time-left", className="value")]
                ),
            ],
        ),
        html.Div(
            className="columns",
            children=[
                html.Div(
                    className="column",
                    children=[
                        html.Table(
                            id="top-table",
                            className="ranking",
                            children=[
                                _ranking_head(now_playing_hint=NOW_PLAYING_HINT),
                                html.Tbody(id="top-rows"),
                            ],
                        ),
                    ],
                ),
                html.Div(
                    className="column",
                    children=[
                        dcc.Graph(id="top-chart", config={"displayModeBar": False, "staticPlot": False}, animate=False)
                    ],
                ),
            ],
        ),
        html.Div(
            className="player-search",
            children=[
                html.Label("Find a player", htmlFor="player"),
                dcc.Input(id="player", type="search", debounce=True, placeholder="nickname", maxLength=64),
                html.Div(id="player-position", className="player-position"),
                html.Table(
                    id="around-table",
                    className="ranking around",
                    children=[
                        _ranking_head(),
                        html.Tbody(id="around-rows"),
                    ],
                ),
            ],
        ),
    ],
)


@app.callback(
    Output("session-title", "children"),
    Output("top-rows", "children"),
    Output("top-chart", "figure"),
    Output("player-position", "children"),
    Output("around-rows", "children"),
    Output("seen", "data"),
    Output("polled", "data"),
    Input("poll", "data"),
    Input("tick", "n_intervals"),
    Input("url", "search"),
    Input("player", "value"),
    State("seen", "data"),
)
def ranking_refresh(
    poll: Any, _tick: int | None, search: str | None, player: str | None, seen: str | None
) -> tuple[Any, ...]:
    """Redraw the ranking when the session's revision moved (or the session or player asked for changed)."""
    polled = (poll if isinstance(poll, int) else 0) + 1  # always answered: the next poll waits for it
    session, message = session_from_search(search)
    if session is None:
        token = f"none:{message}"
        if token == seen:
            return (*(no_update,) * 6, polled)
        return message, [], ranking_figure([]), "", [], token, polled
    nickname = text(player).strip()[:64]
    revision = live_revision(session=session)
    token = f"{session.pk}:{revision}:{session.closing_time}:{nickname}"
    if revision is not None and token == seen:
        return (*(no_update,) * 6, polled)  # nothing new: the browser keeps what it shows
    top = ranking_top(session=session, limit=session.top_x)
    title = session_title(session)
    position_text: str = ""
    around: list[RankedStanding] = []
    if nickname:
        position = ranking_player_position(session=session, nickname=nickname)
        if position is None:
            position_text = f"{nickname} has no standing in this session."
        else:
            position_text = (
                f"{nickname} is #{position.rank} of {position.count}"
                f" (at or above {position.percentile:g} % of the players)."
            )
            around = ranking_around(session=session, nickname=nickname, before=NEIGHBOURS, after=NEIGHBOURS)
    return title, _rows(top), ranking_figure(top), position_text, _rows(around, highlight=nickname), token, polled


# A function in our static dashboards.js (no inline script under the CSP): polls again after the delay.
app.clientside_callback(
    ClientsideFunction(namespace="dashboards", function_name="pollAgain"),
    Output("poll-sink", "children"),
    Input("polled", "data"),
    State("poll-delay", "data"),
)


def session_title(session: GameSession) -> list[Any]:
    """Return the heading: the session, its type, when it opened and closed (or will), as the portal shows moments."""
    heading = f"{session.session_id} · {session.get_game_type_display()} · "
    if not session.is_open:
        moments = ["opened ", when(session.opening_time), ", closed ", when(session.closing_time)]
        return [heading + "closed ", html.Span(moments, className="session-moments")]
    moments = ["since ", when(session.opening_time)]
    if session.closes_at is not None:
        moments += [", closes ", when(session.closes_at)]
    # Its own span: the projector shows the moments small, under the session's name.
    return [heading + "open ", html.Span(moments, className="session-moments")]


def time_left(session: GameSession, now: datetime) -> str:
    """Return mm:ss until a TIME_CONSTRAINED session closes, "closed", or "—" for untimed sessions."""
    if session.game_type != GameType.TIME_CONSTRAINED or session.closes_at is None:
        return "—"
    if not session.is_open or now >= session.closes_at:
        return "closed"
    seconds = int((session.closes_at - now).total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


@app.callback(
    Output("stat-taken", "children"),
    Output("stat-free", "children"),
    Output("stat-playing", "children"),
    Output("stat-finished", "children"),
    Output("stat-rate", "children"),
    Output("stat-time-left", "children"),
    Output("rate-samples", "data"),
    Input("stats-tick", "n_intervals"),
    Input("url", "search"),
    State("rate-samples", "data"),
)
def stats_refresh(_tick: int | None, search: str | None, samples: list[list[float]] | None) -> tuple[Any, ...]:
    """Seats, players playing and finished, records per second (processed, all shards) and time left."""
    session, _message = session_from_search(search)
    now_clock = time.time()
    records, _bytes = pipeline_records_total()
    kept = [
        [float(sample[0]), float(sample[1])]
        for sample in (samples if isinstance(samples, list) else [])
        if isinstance(sample, list) and len(sample) == 2 and all(isinstance(v, int | float) for v in sample)
        if now_clock - sample[0] <= RATE_WINDOW_SECONDS
    ]
    kept.append([now_clock, records])
    oldest = kept[0]
    elapsed = now_clock - oldest[0]
    rate = f"{(records - oldest[1]) / elapsed:,.0f}" if elapsed >= 1.0 else "…"
    if session is None:
        return "—", "—", "—", "—", rate, "—", kept
    counts = seat_counts(session=session)
    return (
        counts["taken"],
        counts["free"],
        counts["playing"],
        counts["finished"],
        rate,
        time_left(session, timezone.now()),
        kept,
    )
