"""Moments on the dashboards as on every portal page (alienportal.dates): the viewer's zone, one format, ISO on hover.

Dash callbacks are portal requests, so the viewer's time zone is active in them as in a template.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import html
from django.utils import timezone

from alienportal.dates import when_text


def when(value: datetime | None, *, empty: str = "—") -> Any:
    """Return a `<time>` with `value` as `{% when %}` shows it: the portal's format, ISO 8601 (UTC) on hover."""
    if value is None:
        return empty
    human, iso = when_text(value)
    return html.Time(human, dateTime=iso, title=iso)


def age(value: datetime | None, *, now: datetime) -> Any:
    """Return "12 s ago" / "in 5 s" (what a health reading needs) with the moment itself on hover.

    The hover gives the moment in the portal's format; the `datetime` attribute keeps ISO 8601.
    """
    if value is None:
        return "—"
    delta = (value - now).total_seconds()
    text = f"in {delta:,.0f} s" if delta >= 0 else f"{-delta:,.0f} s ago"
    human, iso = when_text(value)
    return html.Time(text, dateTime=iso, title=human)


def wall_clock(value: datetime) -> datetime:
    """Return `value` as the viewer's wall-clock time, without a zone, for a chart's time axis.

    Plotly draws a zoned time at its own wall-clock digits, so UTC values would show as UTC
    whatever the viewer's zone; the axis title names the zone instead.
    """
    return timezone.localtime(value).replace(tzinfo=None)
