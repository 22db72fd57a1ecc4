"""The dashboard pages: a portal page (the admin's look) around one Dash app each, rendered directly."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from alienportal.access import Capability, can
from reports.dashboards.access import DASH_APP_CAPABILITIES, DASHBOARDS, dashboard_refusal, dashboards_for
from reports.dashboards.health import health_title
from scoreboard.selectors.health import pipeline_health


def _dashboard_page(
    request: HttpRequest, slug: str, *, template: str = "reports/dashboards/dashboard.html", page_title: str = ""
) -> HttpResponse:
    board = next(board for board in DASHBOARDS if board.slug == slug)
    if not can(request, DASH_APP_CAPABILITIES[board.app_name]):
        return dashboard_refusal(request)
    context = {
        **admin.site.each_context(request),
        "title": board.title,
        "board": board,
        "dashboards": dashboards_for(request),
        "may_run_sessions": can(request, Capability.RUN_SESSIONS),
        "page_title": page_title,
    }
    return render(request, template, context)


def dashboards_index(request: HttpRequest) -> HttpResponse:
    boards = dashboards_for(request)
    if not boards:
        return dashboard_refusal(request)
    context = {**admin.site.each_context(request), "title": "Dashboards", "dashboards": boards}
    return render(request, "reports/dashboards/index.html", context)


def live_ranking(request: HttpRequest) -> HttpResponse:
    return _dashboard_page(request, "live")


def live_ranking_projector(request: HttpRequest) -> HttpResponse:
    return _dashboard_page(request, "live", template="reports/dashboards/projector.html")


def ops_health(request: HttpRequest) -> HttpResponse:
    # The worst state is in the title from the first byte; the Dash app keeps it current.
    title = health_title(pipeline_health().worst) if can(request, Capability.VIEW_HEALTH) else ""
    return _dashboard_page(request, "health", page_title=title)


def history(request: HttpRequest) -> HttpResponse:
    return _dashboard_page(request, "history")


def cost(request: HttpRequest) -> HttpResponse:
    return _dashboard_page(request, "cost")
