"""Middleware: every portal page needs a portal role; sign-in is rate limited; OIDC sessions refresh."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from mozilla_django_oidc.middleware import SessionRefresh

from alienportal.access import has_portal_access

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """Return the caller's address, looking through TRUSTED_PROXY_COUNT reverse proxies."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        # Only the entries our own proxies appended can be trusted; the client writes the rest.
        return addresses[-min(proxies, len(addresses))]
    return str(request.META.get("REMOTE_ADDR", ""))


def _starts_with_any(path: str, prefixes: Any) -> bool:
    return any(path.startswith(prefix) for prefix in prefixes)


class PortalAccessMiddleware:
    """Close every page unless the user may use the portal.

    Anonymous visitors of a page are sent to sign-in; signed-in users without a portal role
    (Players, or no role at all) get the 403 page, which links to sign-out and never redirects,
    so there is no loop. Paths under PORTAL_OPEN_PREFIXES (sign-in, sign-out, the game API) are
    left alone. Under PORTAL_API_PREFIXES the API's own authentication and permissions decide
    for anonymous and bearer-token callers; a signed-in session without a portal role still
    gets 403 there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if _starts_with_any(path, settings.PORTAL_OPEN_PREFIXES):
            return self.get_response(request)
        user = request.user
        if _starts_with_any(path, settings.PORTAL_API_PREFIXES):
            if user.is_authenticated and not has_portal_access(user):
                return JsonResponse({"detail": "Your role does not allow the portal."}, status=403)
            return self.get_response(request)
        if not user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{query}")
        if not has_portal_access(user):
            logger.info("auth.portal_denied user_id=%s path=%s", user.pk, path)
            return render(request, "portal_auth/forbidden.html", status=403)
        return self.get_response(request)


class SignInRateLimitMiddleware:
    """Limit sign-in attempts per client address: 429 with Retry-After once the budget is spent.

    A fixed window in the shared cache, so every web process counts against the same budget.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.SIGN_IN_RATE_LIMIT
        if not limit or not _starts_with_any(request.path_info, settings.SIGN_IN_PATHS):
            return self.get_response(request)
        count, window = limit
        now = time.time()
        window_start = math.floor(now / window) * window
        address = client_address(request)
        key = f"signin-rate:{address}:{int(window_start)}"
        cache.add(key, 0, timeout=window + 1)
        try:
            attempts = cache.incr(key)
        except ValueError:  # the key expired between add and incr: this is the first attempt
            cache.set(key, 1, timeout=window + 1)
            attempts = 1
        if attempts > count:
            retry_after = max(1, math.ceil(window_start + window - now))
            logger.warning("auth.sign_in_throttled address=%s attempts=%s", address, attempts)
            response = render(request, "portal_auth/too_many.html", {"retry_after": retry_after}, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return self.get_response(request)


class OIDCSessionRefresh(SessionRefresh):
    """The library's SessionRefresh, reading the provider's settings per request, not at start-up.

    The provider is configured after the web process starts in the tests (and may be in a
    deployment that reloads settings); the library would keep the first values forever.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        MiddlewareMixin.__init__(self, get_response)  # not SessionRefresh's: it freezes the settings
        self.OIDC_EXEMPT_URLS = settings.OIDC_EXEMPT_URLS
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:
        return str(settings.OIDC_OP_AUTHORIZATION_ENDPOINT)

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_SCOPES(self) -> str:
        return str(settings.OIDC_RP_SCOPES)
