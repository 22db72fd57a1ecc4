"""Cost and capacity: each shard against Kinesis' limits, reshard advice, the month's estimated cost."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html
from dash.dependencies import Input, Output
from django.conf import settings
from django.utils import timezone

from reports.dashboards.dash_apps import dash_app
from scoreboard.selectors.capacity import MERGE_BELOW, SPLIT_AT, ShardCapacity, StreamCapacity, stream_capacity

APP_NAME = "cost"

app = dash_app(APP_NAME)


def _share(value: float) -> str:
    return f"{value:.1%}"


def utilisation_figure(shards: list[ShardCapacity]) -> dict[str, Any]:
    """Grouped bars per shard: share of each Kinesis limit used, with the split and merge marks."""
    ids = [shard.shard.shard_id for shard in shards]
    figure = go.Figure(
        [
            go.Bar(name="write records (1,000/s)", x=ids, y=[100 * s.write_records_share for s in shards]),
            go.Bar(name="write bytes (1 MiB/s)", x=ids, y=[100 * s.write_bytes_share for s in shards]),
            go.Bar(name="read bytes, all consumers (2 MiB/s)", x=ids, y=[100 * s.read_bytes_share for s in shards]),
            go.Bar(name="GetRecords calls (5/s)", x=ids, y=[100 * s.read_calls_share for s in shards]),
        ]
    )
    figure.add_hline(y=100 * SPLIT_AT, line_dash="dash", line_color="#ba2121", annotation_text="split")
    figure.add_hline(y=100 * MERGE_BELOW, line_dash="dot", line_color="#417690", annotation_text="merge")
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        yaxis={"title": "% of the limit", "rangemode": "tozero"},
        xaxis={"type": "category"},
        legend={"orientation": "h"},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
        uirevision="capacity",
    )
    return figure.to_dict()


def _table(headers: list[str], rows: list[list[Any]], table_id: str) -> Any:
    return html.Table(
        id=table_id,
        className="ranking",
        children=[
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
    )


def capacity_body(capacity: StreamCapacity) -> list[Any]:
    advice = capacity.advice
    return [
        html.Div(
            className="stats",
            children=[
                html.Div(
                    [
                        html.Span("Records/s (last minute)", className="label"),
                        html.Span(f"{capacity.records_per_second:,.0f}", className="value"),
                    ]
                ),
                html.Div(
                    [
                        html.Span("KiB/s", className="label"),
                        html.Span(f"{capacity.bytes_per_second / 1024:,.1f}", className="value"),
                    ]
                ),
                html.Div(
                    [
                        html.Span("Reshard advice", className="label"),
                        html.Span(f"{advice.action} → {advice.target_shards}", className="value"),
                    ],
                    id="reshard-advice",
                    className={"split": "state-red", "merge": "state-amber"}.get(advice.action, "state-green"),
                ),
                html.Div(
                    [
                        html.Span("Estimated month", className="label"),
                        html.Span(f"${capacity.monthly_total:,.2f}", className="value"),
                    ],
                    id="monthly-total",
                ),
            ],
        ),
        html.P(advice.reason, id="advice-reason"),
        html.P(capacity.read_calls_warning, id="read-calls-warning", className="errornote")
        if capacity.read_calls_warning
        else html.Div(),
        html.P(
            f"A full session of {settings.CAPACITY_SESSION_SEATS} seats at the original client's 300 ms cadence "
            f"(about {settings.CAPACITY_SESSION_SEATS / 0.3:,.0f} records/s) needs {capacity.session_shards_needed} "
            f"shard(s) below {SPLIT_AT:.0%} of the write limits.",
            className="note",
        ),
        html.H3("Shards against Kinesis' limits"),
        _table(
            [
                "Shard",
                "Records/s",
                "KiB/s",
                "Write records",
                "Write bytes",
                "Read bytes (all consumers)",
                "GetRecords/s (pacing)",
                "Calls share",
            ],
            [
                [
                    s.shard.shard_id,
                    f"{s.records_per_second:,.0f}",
                    f"{s.bytes_per_second / 1024:,.1f}",
                    _share(s.write_records_share),
                    _share(s.write_bytes_share),
                    _share(s.read_bytes_share),
                    f"{s.read_calls_per_second:g}",
                    _share(s.read_calls_share),
                ]
                for s in capacity.shards
            ],
            "capacity-table",
        ),
        html.H3("Estimated monthly cost at the observed rates"),
        _table(
            ["Item", "Quantity", "Unit", "Unit price (USD)", "Month (USD)"],
            [
                [line.item, f"{line.quantity:,.2f}", line.unit, f"{line.unit_price:g}", f"{line.monthly:,.2f}"]
                for line in capacity.cost
            ]
            + [["Total", "", "", "", f"{capacity.monthly_total:,.2f}"]],
            "cost-table",
        ),
        html.P(
            "Prices: settings.AWS_PRICES (defaults: us-east-1 public list prices of Kinesis Data Streams and S3 "
            f"Standard). Idle: each consumer calls GetRecords at most {capacity.idle_calls_per_second:g}/s per shard "
            "when the stream is empty (the drain's pacing); the measured idle rate and CPU are in the dashboards "
            "benchmark (README).",
            className="note",
        ),
    ]


app.layout = html.Div(
    className="dashboard cost",
    children=[
        dcc.Interval(id="cost-tick", interval=10_000),
        html.Div(id="cost-body"),
        dcc.Graph(id="utilisation-chart", config={"displayModeBar": False}),
    ],
)


@app.callback(Output("cost-body", "children"), Output("utilisation-chart", "figure"), Input("cost-tick", "n_intervals"))
def cost_refresh(_tick: Any) -> tuple[Any, ...]:
    """Recompute utilisation, advice and cost from the sampled throughput (every 10 s is plenty)."""
    capacity = stream_capacity(now=timezone.now())
    return capacity_body(capacity), utilisation_figure(capacity.shards)
