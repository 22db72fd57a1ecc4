"""Dashboard pages and the django-plotly-dash routes of their Dash apps."""

from __future__ import annotations

from django.urls import URLPattern, include, path
from django_plotly_dash import urls as dash_urls

from reports.dashboards import cost, health, history, live, views

app_name = "dashboards"
# Importing the Dash apps registers them with django-plotly-dash before any Dash route is resolved.
DASH_APPS = (live.app, health.app, history.app, cost.app)

# Of django-plotly-dash's routes only the stateless apps' (`app/<ident>/...`), without initial
# arguments and without `_dash-routes` (not implemented: it raises). Left out: the stateful
# `instance/` routes (ORM-stored app state we do not use) and `add_stateless_apps` (writes ORM rows
# for the library's own admin). Every route kept is wrapped by access.dash_view_guard (PLOTLY_DASH).
dash_patterns: list[URLPattern] = [
    pattern
    for pattern in dash_urls.urlpatterns
    if str(pattern.pattern).startswith("app/")
    and "/initial/" not in str(pattern.pattern)
    and not str(pattern.pattern).endswith("_dash-routes")
]

urlpatterns = [
    path("", views.dashboards_index, name="index"),
    path("live/", views.live_ranking, name="live"),
    path("live/projector/", views.live_ranking_projector, name="live-projector"),
    path("health/", views.ops_health, name="health"),
    path("history/", views.history, name="history"),
    path("cost/", views.cost, name="cost"),
]

dash_include = include((dash_patterns, dash_urls.app_name))
