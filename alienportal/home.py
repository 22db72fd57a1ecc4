"""The portal's front door: the home page (what the viewer's role may use) and the 403 page, both in the admin's frame.

`alienportal` knows no app (DESIGN.md), so each app registers the links it offers from its
`AppConfig.ready()` with `home_links_register`; every link names the capability it needs and the
home page shows the viewer those the access policy grants (`can`), never by role name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from alienportal.access import Capability, can, roles_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalLink:
    section: str  # the heading it is listed under, e.g. "Game sessions"
    title: str
    url_name: str
    capability: Capability
    blurb: str = ""


# The home page's sections, in this order; a section registered under another name comes after them.
SECTIONS = ("Game sessions", "Dashboards", "Support desk", "Reports API", "Audit")

LinkProvider = Callable[[], Iterable[PortalLink]]
_providers: list[LinkProvider] = []


def home_links_register(provider: LinkProvider) -> None:
    """Add `provider` (called per request, so it may import lazily) to the sources of home-page links."""
    if provider not in _providers:
        _providers.append(provider)


def home_links_for(request: HttpRequest) -> list[tuple[str, list[dict[str, str]]]]:
    """Return the links the caller may use, grouped by section in SECTIONS order."""
    grouped: dict[str, list[dict[str, str]]] = {}
    for provider in _providers:
        for link in provider():
            if not can(request, link.capability):
                continue
            try:
                url = reverse(link.url_name)
            except NoReverseMatch:  # an app whose routes are not mounted in this deployment
                continue
            grouped.setdefault(link.section, []).append({"title": link.title, "url": url, "blurb": link.blurb})
    order = {name: position for position, name in enumerate(SECTIONS)}
    return sorted(grouped.items(), key=lambda item: (order.get(item[0], len(SECTIONS)), item[0]))


def _own_links() -> list[PortalLink]:
    return [
        PortalLink(
            "Reports API",
            "Reports API documentation",
            "api-docs",
            Capability.READ_REPORTS,
            "Every endpoint of the reports API, to read and try (OpenAPI).",
        ),
        PortalLink(
            "Audit",
            "Audit log",
            "admin:alienportal_auditentry_changelist",
            Capability.VIEW_AUDIT_LOG,
            "Who did what to which session, seat or ticket, and when.",
        ),
    ]


home_links_register(_own_links)


def _frame(request: HttpRequest, title: str) -> dict[str, Any]:
    # The admin's context (site header, user tools, "View site") so the page sits in the portal's frame.
    return {**admin.site.each_context(request), "title": title, "subtitle": None}


@never_cache
def portal_home(request: HttpRequest) -> HttpResponse:
    """Show a signed-in member of staff what their role may use.

    Strangers never get here (PortalAccessMiddleware sends them to sign-in) and neither do
    signed-in people without a portal role (they get its refusal page).
    """
    context = {
        **_frame(request, "Home"),
        "sections": home_links_for(request),
        "roles": sorted(roles_of(request)),
        "admin_apps": admin.site.get_app_list(request),
    }
    return render(request, "portal/home.html", context)


def portal_forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page (handler403): inside the portal's frame, with the way back home and out."""
    # One line, no traceback (see alienportal.request_log): a refusal is expected, not a failure.
    logger.info("portal.forbidden user_id=%s path=%s", getattr(request.user, "pk", None), request.path)
    return render(request, "portal/forbidden.html", _frame(request, "Not for your role"), status=403)


def portal_csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF refusal (CSRF_FAILURE_VIEW): the same frame, and what to do about it."""
    logger.info("portal.csrf_refused user_id=%s path=%s", getattr(request.user, "pk", None), request.path)
    context = {**_frame(request, "The form has expired"), "csrf_failure": True}
    return render(request, "portal/forbidden.html", context, status=403)
