"""The one way a dashboard's Dash app is made."""

from __future__ import annotations

import warnings

from django_plotly_dash import DjangoDash


def dash_app(name: str) -> DjangoDash:
    """Return the Dash app `name`, its assets served by the portal itself, the page title left alone."""
    with warnings.catch_warnings():
        # django_plotly_dash passes update_title on to Dash and warns of "extra arguments" for it.
        warnings.filterwarnings("ignore", message="You are passing extra arguments", category=UserWarning)
        # update_title=None: Dash would otherwise retitle the page "Updating..." on every tick.
        return DjangoDash(name, serve_locally=True, update_title=None)
