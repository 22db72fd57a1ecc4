"""Operations health: per-shard lag, rates, checkpoints and leases; workers; dead letters; queues; SSM.

Every signal is green / amber / red against settings.HEALTH_THRESHOLDS (classified by
scoreboard.pipeline); the page title carries the worst state, so a background tab shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from dash import ClientsideFunction, dcc, html
from dash.dependencies import Input, Output
from django.conf import settings

from alienportal.dates import viewer_zone_abbreviation
from reports.dashboards.dash_apps import dash_app
from reports.dashboards.moments import age, wall_clock
from scoreboard.selectors.health import (
    DEAD_LETTER_WINDOW_MINUTES,
    ArchiveState,
    HealthState,
    PipelineHealth,
    pipeline_health,
)

APP_NAME = "ops_health"
TITLE = "Operations health"

app = dash_app(APP_NAME)


def health_title(state: HealthState) -> str:
    """Return the page title for the worst state, e.g. "RED · Operations health"."""
    return f"{state.value.upper()} · {TITLE} | Alien Portal"


def _badge(state: HealthState) -> Any:
    return html.Span(state.value, className=f"state-badge state-{state.value}")


def _cell(value: Any, state: HealthState | None = None) -> Any:
    return html.Td(value, className=f"state-{state.value}" if state else "")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} s"


def _archive_lag(archive: ArchiveState) -> str:
    if not archive.status.enabled:
        return "off"
    return _seconds(archive.status.lag_seconds)


def dead_letter_figure(health: PipelineHealth) -> dict[str, Any]:
    """Stacked bars: dead letters in each of the last minutes (zeros included), one colour per reason."""
    last = health.at.replace(second=0, microsecond=0)
    minutes = [last - timedelta(minutes=back) for back in range(DEAD_LETTER_WINDOW_MINUTES - 1, -1, -1)]
    labels = [f"{wall_clock(minute):%H:%M}" for minute in minutes]  # the viewer's zone, named on the axis
    counts: dict[tuple[str, datetime], int] = {(row.reason, row.minute): row.count for row in health.dead_letters}
    reasons = sorted({row.reason for row in health.dead_letters})
    figure = go.Figure(
        [go.Bar(name=reason, x=labels, y=[counts.get((reason, minute), 0) for minute in minutes]) for reason in reasons]
    )
    figure.update_layout(
        barmode="stack",
        uirevision="dead-letters",
        height=260,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h"},
        xaxis={
            "title": f"minute ({viewer_zone_abbreviation(health.at)})",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
        },
        showlegend=True,
        yaxis={"title": "dead letters", "rangemode": "tozero"},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
    )
    return figure.to_dict()


def _table(headers: list[str], rows: list[Any], table_id: str) -> Any:
    return html.Table(
        id=table_id, className="health", children=[html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(rows)]
    )


app.layout = html.Div(
    className="dashboard ops-health",
    children=[
        dcc.Interval(id="health-tick", interval=settings.DASHBOARD_HEALTH_INTERVAL_MS),
        dcc.Store(id="page-title"),
        html.Div(id="title-sink", hidden=True),
        html.Div(id="health-body"),
        html.H3("Dead letters per minute, by reason"),
        dcc.Graph(id="dead-letter-chart", config={"displayModeBar": False}),
        html.P(
            className="note",
            children=[
                "Thresholds (amber at, red at) come from the HEALTH_THRESHOLDS setting. Dead letters are listed, "
                "filtered and replayed in the admin; ",
                html.A("open them", href="/admin/scoreboard/deadletter/"),
                ".",
            ],
        ),
    ],
)

# A function in our static dashboards.js, not inline code: the CSP allows no inline script.
app.clientside_callback(
    ClientsideFunction(namespace="dashboards", function_name="titleSet"),
    Output("title-sink", "children"),
    Input("page-title", "data"),
)


@app.callback(
    Output("health-body", "children"),
    Output("dead-letter-chart", "figure"),
    Output("page-title", "data"),
    Input("health-tick", "n_intervals"),
)
def health_refresh(_tick: int | None) -> tuple[Any, ...]:
    """Read every health signal and show each with its state; the worst goes to the page title."""
    health = pipeline_health()
    now = health.at

    summary = html.Div(
        className="stats",
        children=[
            html.Div(
                [html.Span("Overall", className="label"), html.Span(health.worst.value.upper(), className="value")],
                id="overall-state",
                className=f"state-{health.worst.value}",
            ),
            html.Div(
                [
                    html.Span("Dead letters / min (5 min)", className="label"),
                    html.Span(f"{health.dead_letters_per_minute:,.1f}", className="value"),
                ],
                id="dead-letter-state",
                className=f"state-{health.dead_letter_state.value}",
            ),
            *(
                html.Div(
                    [
                        html.Span(f"Queue {name}", className="label"),
                        html.Span("—" if depth is None else depth, className="value"),
                    ],
                    className=f"state-{health.queue_state.value} queue",
                )
                for name, depth in health.queues.items()
            ),
            html.Div(
                [
                    html.Span("Archive behind", className="label"),
                    html.Span(_archive_lag(health.archive), className="value"),
                ],
                id="archive-state",
                className=f"state-{health.archive.state.value}",
            ),
            html.Div(
                [
                    html.Span("SSM session", className="label"),
                    html.Span("behind" if health.publication.pending else "published", className="value"),
                ],
                id="ssm-state",
                className=f"state-{health.publication.state.value}",
            ),
        ],
    )
    shard_rows = [
        html.Tr(
            [
                html.Td(state.shard.shard_id),
                html.Td(_badge(state.state)),
                _cell(
                    "—" if state.shard.millis_behind_latest is None else f"{state.shard.millis_behind_latest:,}",
                    state.lag,
                ),
                html.Td("—" if state.shard.records_per_second is None else f"{state.shard.records_per_second:,.0f}"),
                html.Td(f"{state.shard.records_processed:,}"),
                _cell(_seconds(state.checkpoint_age_s), state.checkpoint),
                _cell(state.shard.owner or "free", state.lease),
                _cell(age(state.shard.lease_expires_at, now=now), state.lease),
                _cell(_seconds(state.heartbeat_age_s), state.heartbeat),
                html.Td("finished" if state.shard.finished else "open"),
            ],
            id=f"shard-{state.shard.shard_id}",
            className=f"shard state-row-{state.state.value}",
        )
        for state in health.shards
    ]
    worker_rows = [
        html.Tr(
            [
                html.Td(state.worker.worker),
                html.Td(state.worker.shard_id),
                _cell(_seconds(state.age_s), state.state),
                html.Td(age(state.worker.started_at, now=now)),
            ],
            className="worker",
        )
        for state in health.workers
    ]
    publication = health.publication
    archive = health.archive
    archive_rows = [
        html.Tr(
            [
                html.Td(judged.shard.shard_id),
                _cell(_seconds(judged.shard.lag_seconds), judged.lag),
                html.Td(age(judged.shard.last_upload_at, now=now)),
                html.Td(f"{judged.shard.objects_uploaded:,}"),
                html.Td(f"{judged.shard.records_archived:,}"),
                _cell(f"{judged.shard.upload_failures:,}", HealthState.AMBER if judged.failing else None),
                html.Td(judged.shard.last_error or "—"),
                html.Td(judged.shard.owner or "free"),
            ],
            className=f"archive-shard state-row-{judged.state.value}",
        )
        for judged in archive.shards
        if not judged.shard.finished
    ]
    reconciliation_lines = [
        html.Li(
            [
                _badge(HealthState.GREEN if run.ok else HealthState.RED),
                f" {run.session.session_id}, ",
                age(run.checked_at, now=now),
                ": ",
                f"Redis, PostgreSQL and the archive agree ({run.players:,} players, {run.archive_records:,} records)"
                if run.ok
                else f"{run.differences:,} difference(s); first: {run.first_difference}",
            ],
            className="reconciliation",
        )
        for run in archive.reconciliations
    ]
    body = [
        summary,
        html.H3("Shards"),
        _table(
            [
                "Shard",
                "State",
                "Behind latest (ms)",
                "Processed/s (last minute)",
                "Processed",
                "Checkpoint age",
                "Lease owner",
                "Lease expires",
                "Last heartbeat",
                "Shard",
            ],
            shard_rows or [html.Tr(html.Td("No shard leases yet: the drain has not started.", colSpan=10))],
            "shard-table",
        ),
        html.H3("Drain workers (heartbeats of the last 10 minutes)"),
        _table(
            ["Worker", "Shard", "Last heartbeat", "Started"],
            worker_rows or [html.Tr(html.Td("No worker has beaten in the last 10 minutes.", colSpan=4))],
            "worker-table",
        ),
        html.H3("Raw archive (S3)"),
        html.P(
            [
                _badge(archive.state),
                *(
                    [
                        f" bucket {archive.status.bucket}; last upload ",
                        age(archive.status.last_upload_at, now=now),
                        f"; behind by {_archive_lag(archive)}",
                    ]
                    if archive.status.enabled
                    else [" off (ARCHIVE_CONSUMER_ENABLED=false): a Firehose archives the stream"]
                ),
            ],
            id="archive-detail",
        ),
        _table(
            ["Shard", "Behind", "Last upload", "Objects", "Records", "Failed uploads", "Last error", "Owner"],
            archive_rows or [html.Tr(html.Td("No archive lease yet: the archive has not started.", colSpan=8))],
            "archive-table",
        ),
        html.H4("Reconciliation (Redis index, PostgreSQL standings, a replay of the archive)"),
        html.Ul(
            reconciliation_lines
            or [html.Li("No session reconciled yet: beat checks each session once its records are all in S3.")],
            id="reconciliations",
        ),
        html.H3("SSM session parameter"),
        html.P(
            [
                _badge(publication.state),
                " published ",
                age(publication.published_at, now=now),
                "; last attempt ",
                age(publication.last_attempt_at, now=now),
                f"; failed attempts {publication.failed_attempts}",
                f"; last error: {publication.last_error}" if publication.pending and publication.last_error else "",
            ],
            id="ssm-detail",
        ),
    ]
    return body, dead_letter_figure(health), health_title(health.worst)
