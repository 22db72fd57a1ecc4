"""Who may open which dashboard: one capability per Dash app, checked on every Dash URL."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_plotly_dash.dash_wrapper import all_apps

from alienportal.access import Capability, can

logger = logging.getLogger(__name__)

# The Dash apps (their DjangoDash names) and the capability each needs. An app missing here is
# served to nobody: the guard answers 404 before django-plotly-dash looks it up.
DASH_APP_CAPABILITIES: dict[str, Capability] = {
    "live_ranking": Capability.VIEW_RANKINGS,
    "ops_health": Capability.VIEW_HEALTH,
    "history": Capability.VIEW_HISTORY,
    "cost": Capability.VIEW_COSTS,
}


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    url_name: str
    app_name: str
    blurb: str


DASHBOARDS = (
    Dashboard("live", "Live ranking", "dashboards:live", "live_ranking", "A session's top X as it happens."),
    Dashboard("health", "Operations health", "dashboards:health", "ops_health", "Shards, workers, queues, SSM."),
    Dashboard(
        "history", "History", "dashboards:history", "history", "Best players, a player's past, sessions compared."
    ),
    Dashboard(
        "cost", "Cost and capacity", "dashboards:cost", "cost", "Shard use against Kinesis limits, monthly cost."
    ),
)


def dashboards_for(request: HttpRequest) -> list[Dashboard]:
    """Return the dashboards the caller may open, in menu order."""
    return [board for board in DASHBOARDS if can(request, DASH_APP_CAPABILITIES[board.app_name])]


def dashboard_refusal(request: HttpRequest, *, json: bool = False) -> HttpResponse:
    """Answer 403 the portal's way: JSON to Dash's own requests, the portal's page to people."""
    logger.info("dashboards.refused user_id=%s path=%s", getattr(request.user, "pk", None), request.path)
    if json:
        return JsonResponse(
            {"errorMessage": "Your role does not allow this dashboard.", "errorCode": "Forbidden"}, status=403
        )
    context = {**admin.site.each_context(request), "title": "Not for your role", "dashboards": dashboards_for(request)}
    return render(request, "reports/dashboards/refused.html", context, status=403)


_callback_outputs: dict[str, frozenset[str]] = {}


def _known_outputs(ident: str) -> frozenset[str]:
    if ident not in _callback_outputs:
        _callback_outputs[ident] = frozenset(all_apps()[ident].as_dash_instance().callback_map)
    return _callback_outputs[ident]


def callback_body_problem(ident: str, raw: bytes) -> str | None:
    """Return why a `_dash-update-component` body is not a callback of this app, or None if it is one.

    django-plotly-dash indexes the body without checking it, so a stray POST would be a 500.
    """
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "The body is not JSON."
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "The body names no callback output."
    if body["output"] not in _known_outputs(ident):
        return "This dashboard has no such callback."
    for field in ("inputs", "state"):
        items = body.get(field, [])
        if not isinstance(items, list) or not all(
            isinstance(item, dict) or (isinstance(item, list) and all(isinstance(sub, dict) for sub in item))
            for item in items
        ):
            return f"`{field}` must be a list of component values."
    return None


def dash_view_guard(view_function: Callable[..., HttpResponse], **route: Any) -> Callable[..., HttpResponse]:
    """Wrap one django-plotly-dash view (PLOTLY_DASH["view_decorator"]) with the app's capability check.

    Applies to every route django-plotly-dash defines: the app page, `_dash-layout`,
    `_dash-dependencies`, `_dash-update-component` (the callbacks) and the asset redirects.
    """
    url_part = str(route.get("url_part", ""))

    @functools.wraps(view_function)
    def guarded(request: HttpRequest, *args: Any, ident: str = "", **kwargs: Any) -> HttpResponse:
        capability = DASH_APP_CAPABILITIES.get(ident)
        if capability is None or ident not in all_apps():
            raise Http404("No such dashboard.")
        if not can(request, capability):
            return dashboard_refusal(request, json=url_part.startswith("_dash"))
        if url_part == "_dash-update-component":
            if request.method != "POST":
                return JsonResponse(
                    {"errorMessage": "Callbacks are POSTed.", "errorCode": "MethodNotAllowed"}, status=405
                )
            problem = callback_body_problem(ident, request.body)
            if problem:
                return JsonResponse({"errorMessage": problem, "errorCode": "InvalidCallback"}, status=400)
        return view_function(request, *args, ident=ident, **kwargs)

    return guarded
