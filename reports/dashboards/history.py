"""History: best players across sessions, one player's history, sessions compared.

Every figure comes from the history selectors of scoreboard (aggregated in the database); the
callbacks only parse the filters and shape tables and charts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html
from dash.dependencies import Input, Output, State
from django.utils import timezone

from alienportal.dates import viewer_zone_abbreviation
from reports.dashboards.dash_apps import dash_app
from reports.dashboards.moments import wall_clock, when
from scoreboard.selectors.events import player_score_timeline
from scoreboard.selectors.history import (
    LeaderboardEntry,
    SessionSummary,
    leaderboard_window,
    player_history,
    player_positions,
    session_summaries,
    sessions_compare,
)
from sessions.models import GameType
from sessions.selectors import session_get, session_list, sessions_recent

APP_NAME = "history"
LEADERBOARD_SIZE = 20
MAX_SESSIONS_SHOWN = 50
MAX_HISTORY_ROWS = 100

app = dash_app(APP_NAME)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_range(start: Any, end: Any) -> tuple[datetime | None, datetime | None, str]:
    """Return [from, to) for the dates given (`to` is the day after the end date) and a problem, if any.

    Days are the viewer's (the zone the tables show opening times in), so a session shown as
    opened on the 27th is in a range that starts on the 27th.
    """
    zone = timezone.get_current_timezone()
    bounds: list[datetime | None] = []
    for label, value, shift in (("From", start, 0), ("To", end, 1)):
        text = _text(value)
        if not text:
            bounds.append(None)
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, None, f"{label} must be a date (YYYY-MM-DD)."
        bounds.append(datetime.combine(day + timedelta(days=shift), time.min, tzinfo=zone))
    opened_from, opened_to = bounds
    if opened_from and opened_to and opened_from >= opened_to:
        return None, None, "From must not be after To."
    return opened_from, opened_to, ""


def _game_type(value: Any) -> str | None:
    return value if isinstance(value, str) and value in GameType.values else None


def _session_ids(value: Any) -> list[str]:
    return (
        [item[:64] for item in value if isinstance(item, str)][:MAX_SESSIONS_SHOWN] if isinstance(value, list) else []
    )


def _table(headers: list[str], rows: list[list[Any]], table_id: str, empty: str) -> Any:
    body = [html.Tr([html.Td(cell) for cell in row]) for row in rows] or [html.Tr(html.Td(empty, colSpan=len(headers)))]
    return html.Table(
        id=table_id,
        className="ranking",
        children=[html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)],
    )


def _figure(**layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(
        **{
            "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
            "height": 300,
            "plot_bgcolor": "#fff",
            "paper_bgcolor": "#fff",
            **layout,
        }
    )
    return figure


def leaderboard_figure(entries: list[LeaderboardEntry]) -> dict[str, Any]:
    labels = [f"{entry.rank}. {entry.nickname}" for entry in entries]
    figure = _figure(
        title="Best players",
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed", "automargin": True},
        height=max(260, 24 * len(entries) + 60),
    )
    figure.add_bar(x=[entry.score for entry in entries], y=labels, orientation="h", marker_color="#417690")
    return figure.to_dict()


def sessions_figure(summaries: list[SessionSummary]) -> dict[str, Any]:
    ids = [summary.session_id for summary in summaries]
    figure = _figure(title="Sessions compared", barmode="group", legend={"orientation": "h"})
    figure.add_bar(name="players", x=ids, y=[summary.players for summary in summaries])
    figure.add_bar(name="top score", x=ids, y=[summary.top_score or 0 for summary in summaries])
    figure.add_bar(name="dead letters", x=ids, y=[summary.dead_letters for summary in summaries])
    figure.update_xaxes(type="category")
    return figure.to_dict()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


app.layout = html.Div(
    className="dashboard history",
    children=[
        dcc.Location(id="url", refresh=False),
        html.Div(
            className="filters",
            children=[
                html.Div(
                    [
                        html.Label("From", htmlFor="date-from"),
                        dcc.Input(id="date-from", type="text", placeholder="YYYY-MM-DD", maxLength=10, size="10"),
                    ]
                ),
                html.Div(
                    [
                        html.Label("To", htmlFor="date-to"),
                        dcc.Input(id="date-to", type="text", placeholder="YYYY-MM-DD", maxLength=10, size="10"),
                    ]
                ),
                html.Div(
                    [
                        html.Label("Game type", htmlFor="game-type"),
                        dcc.Dropdown(
                            id="game-type",
                            options=[{"label": label, "value": value} for value, label in GameType.choices],  # type: ignore[arg-type]
                            clearable=True,
                            style={"minWidth": "14em"},
                        ),
                    ]
                ),
                html.Div(
                    [
                        html.Label("Sessions to compare", htmlFor="sessions"),
                        dcc.Dropdown(id="sessions", multi=True, style={"minWidth": "24em"}),
                    ]
                ),
                html.Div(
                    [html.Label("Player", htmlFor="nickname"), dcc.Input(id="nickname", type="search", maxLength=64)]
                ),
                html.Button("Show", id="apply", n_clicks=0, className="button"),
            ],
        ),
        html.Div(id="problem", className="errornote", style={"display": "none"}),
        html.H3("Best players across sessions"),
        html.Div(
            className="columns",
            children=[
                html.Div(id="leaderboard", className="column"),
                html.Div(dcc.Graph(id="leaderboard-chart", config={"displayModeBar": False}), className="column"),
            ],
        ),
        html.H3("Sessions compared"),
        html.Div(id="sessions-table"),
        dcc.Graph(id="sessions-chart", config={"displayModeBar": False}),
        html.H3("One player's history"),
        html.Div(id="player-table"),
        html.Div(
            [html.Label("Score over time in session", htmlFor="timeline-session"), dcc.Dropdown(id="timeline-session")],
            style={"maxWidth": "24em"},
        ),
        dcc.Graph(id="timeline-chart", config={"displayModeBar": False}),
    ],
)


@app.callback(Output("sessions", "options"), Input("url", "pathname"))
def session_options(_path: Any) -> list[dict[str, str]]:
    """Offer the most recent sessions to compare."""
    return [{"label": session.session_id, "value": session.session_id} for session in sessions_recent(limit=200)]


@app.callback(
    Output("problem", "children"),
    Output("problem", "style"),
    Output("leaderboard", "children"),
    Output("leaderboard-chart", "figure"),
    Output("sessions-table", "children"),
    Output("sessions-chart", "figure"),
    Output("player-table", "children"),
    Output("timeline-session", "options"),
    Output("timeline-session", "value"),
    Input("apply", "n_clicks"),
    State("date-from", "value"),
    State("date-to", "value"),
    State("game-type", "value"),
    State("sessions", "value"),
    State("nickname", "value"),
)
def history_refresh(
    _clicks: Any, start: Any, end: Any, game_type_value: Any, chosen: Any, nickname_value: Any
) -> tuple[Any, ...]:
    """Show the leaderboard, the sessions compared and the player's history for the filters."""
    opened_from, opened_to, problem = parse_range(start, end)
    game_type = _game_type(game_type_value)
    nickname = _text(nickname_value)[:64]
    now = timezone.now()

    entries = (
        []
        if problem
        else leaderboard_window(
            opened_from=opened_from, opened_to=opened_to, game_type=game_type, limit=LEADERBOARD_SIZE
        )
    )
    leaderboard = _table(
        ["Rank", "Player", "Score", "Lives", "Shots", "Session"],
        [[e.rank, e.nickname, e.score, e.lives, e.shots, e.session_id] for e in entries],
        "leaderboard-table",
        "No standings in this range.",
    )

    session_ids = _session_ids(chosen)
    if problem:
        summaries: list[SessionSummary] = []
    elif session_ids:
        summaries = sessions_compare(session_ids=session_ids, as_of=now)
    else:
        sessions = session_list(opened_from=opened_from, opened_to=opened_to, game_type=game_type)
        summaries = session_summaries(
            sessions=sessions.order_by("-opening_time", "-pk")[:MAX_SESSIONS_SHOWN], as_of=now
        )
    sessions_table = _table(
        [
            "Session",
            "Type",
            "Opened",
            "Players",
            "Records",
            "Top score",
            "Leader",
            "Duration",
            "Discards",
            "Dead letters",
        ],
        [
            [
                s.session_id,
                s.game_type,
                when(s.opening_time),
                s.players,
                s.records,
                "—" if s.top_score is None else s.top_score,
                s.leader or "—",
                _duration(s.duration_seconds),
                s.discards,
                s.dead_letters,
            ]
            for s in summaries
        ],
        "sessions-compared",
        "No session in this range.",
    )

    history_rows: list[list[Any]] = []
    options: list[dict[str, str]] = []
    if nickname and not problem:
        standings = list(
            player_history(nickname=nickname, opened_from=opened_from, opened_to=opened_to, game_type=game_type)[
                :MAX_HISTORY_ROWS
            ]
        )
        positions = player_positions(standings=standings)
        for standing in standings:
            position = positions.get(standing.session_id)
            history_rows.append(
                [
                    standing.session.session_id,
                    when(standing.session.opening_time),
                    standing.score,
                    standing.lives,
                    standing.shots,
                    f"#{position.rank} of {position.count}" if position else "—",
                ]
            )
            options.append({"label": standing.session.session_id, "value": standing.session.session_id})
    player_table = _table(
        ["Session", "Opened", "Score", "Lives", "Shots", "Standing"],
        history_rows,
        "player-history",
        "Name a player to see their sessions." if not nickname else f"{nickname} has no standing in this range.",
    )
    return (
        problem,
        {} if problem else {"display": "none"},
        leaderboard,
        leaderboard_figure(entries),
        sessions_table,
        sessions_figure(summaries),
        player_table,
        options,
        options[0]["value"] if options else None,
    )


@app.callback(
    Output("timeline-chart", "figure"),
    Input("timeline-session", "value"),
    State("nickname", "value"),
)
def timeline_refresh(session_id: Any, nickname_value: Any) -> dict[str, Any]:
    """Plot the player's score over time within one session, from the score events."""
    nickname = _text(nickname_value)[:64]
    session = session_get(session_id=_text(session_id)[:64]) if nickname and _text(session_id) else None
    points = player_score_timeline(session=session, nickname=nickname) if session else []
    figure = _figure(
        title=f"{nickname} in {session.session_id}" if session else "Score over time",
        xaxis={"title": f"time ({viewer_zone_abbreviation(timezone.now())})"},
    )
    figure.add_scatter(
        x=[wall_clock(point.event_time) for point in points],
        y=[point.score for point in points],
        mode="lines+markers",
        line={"shape": "hv"},
        name="score",
    )
    return figure.to_dict()
