"""The portal's one way to show a moment: the viewer's time zone, one human format, ISO 8601 on hover."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

# Set by static/alienportal/timezone.js from the browser's Intl time zone (an IANA name).
TIME_ZONE_COOKIE = "portal_tz"


def viewer_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    """Return the time zone the viewer's browser reported, None if none or not a real zone."""
    name = unquote(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a hand-made cookie: fall back to settings.TIME_ZONE


class ViewerTimeZoneMiddleware:
    """Render every page in the viewer's time zone (settings.TIME_ZONE until the browser has said).

    Pages only: an API's answers (and how it reads a time without an offset) must not depend on
    a cookie the caller's browser happens to carry, so API paths stay in settings.TIME_ZONE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.api_prefixes = (*settings.PORTAL_API_PREFIXES, *settings.GAME_API_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None if request.path_info.startswith(self.api_prefixes) else viewer_time_zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # The thread serves other requests next: never let one viewer's zone leak into them.
            timezone.deactivate()


def js_time(moment: datetime) -> str:
    """Format `moment` as JavaScript's `Date.toJSON()` does (UTC, milliseconds, `Z`): the game's format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when_text(value: datetime) -> tuple[str, str]:
    """Return `value` in the viewer's zone and the portal's format, and as ISO 8601 in UTC."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT"), js_time(value)


def viewer_zone_abbreviation(value: datetime) -> str:
    """Return the viewer's zone as the portal's format names it at `value` ("UTC", "CET", "JST")."""
    return formats.date_format(timezone.localtime(value), "T")


def when_html(value: datetime | None, *, empty: str = "—") -> SafeString:
    """Return `<time>` showing `value` in the viewer's zone and human format, ISO 8601 (UTC) on hover."""
    if value is None:
        return format_html("{}", empty)
    human, iso = when_text(value)
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, iso, human)
