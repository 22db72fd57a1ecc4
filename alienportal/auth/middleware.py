"""Middleware: every portal page needs a portal role; sign-in is rate limited; OIDC sessions refresh."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh

from alienportal.access import has_portal_access
from alienportal.auth.views import post_sign_in_target, post_sign_in_target_store

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


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

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        """Re-check an overdue sign-in; never let a write through on one.

        The library re-checks on GET only (a POST cannot be replayed after the provider's
        redirect), so a person removed from Managers could go on POSTing for the life of the
        Django session. A write on an overdue sign-in changes nothing: APIs answer 403, browsers
        are sent to sign-in (which re-syncs the roles), and the write is not done.
        """
        if request.method not in SAFE_METHODS and self._is_overdue(request):
            logger.info("auth.write_refused_recheck_due user_id=%s path=%s", request.user.pk, request.path)
            if _starts_with_any(request.path_info, [*settings.PORTAL_API_PREFIXES, *settings.GAME_API_PREFIXES]):
                return JsonResponse(
                    {
                        "errorMessage": "Your sign-in must be checked again: sign in, then retry.",
                        "errorCode": "SignInRecheckDue",
                    },
                    status=403,
                )
            back_to = post_sign_in_target(request, request.path) or "/"
            return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{urlencode({'next': back_to})}")
        response = super().process_request(request)
        # The library stores get_full_path() as the page to return to: `GET //evil.example/` would
        # come back from the provider as `Location: //evil.example/`.
        post_sign_in_target_store(request)
        return response

    def _is_overdue(self, request: HttpRequest) -> bool:
        if not request.user.is_authenticated or "HTTP_AUTHORIZATION" in request.META:
            return False  # a bearer token, not this session, authenticates the call
        backend = request.session.get(BACKEND_SESSION_KEY)
        if backend and not issubclass(import_string(backend), OIDCAuthenticationBackend):
            return False  # break-glass: never signed in at the provider
        if request.path in self.exempt_urls or any(pattern.match(request.path) for pattern in self.exempt_url_patterns):
            return False  # sign-out must always work
        return bool(request.session.get("oidc_id_token_expiration", 0) <= time.time())

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:
        return str(settings.OIDC_OP_AUTHORIZATION_ENDPOINT)

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_SCOPES(self) -> str:
        return str(settings.OIDC_RP_SCOPES)
