"""Sign-in, sign-out and access-denied pages around the OIDC flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

# Where the provider's session keeps the page to return to after sign-in (mozilla-django-oidc's key).
NEXT_SESSION_KEY = "oidc_login_next"


def post_sign_in_target(request: HttpRequest, url: object) -> str | None:
    """Return `url` if it is a path on this site (relative, same host, same scheme), else None.

    `//evil.example/` and `/\\evil.example/` are relative-looking but browsers read them as
    another host: a path must start with one slash and nothing a browser turns into a second one.
    """
    if not isinstance(url, str) or not url.startswith("/") or url[1:2] in ("/", "\\"):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return None
    return url


def post_sign_in_target_store(request: HttpRequest) -> None:
    """Check the stored post-sign-in target; one that leaves the site is dropped (the default applies)."""
    stored = request.session.get(NEXT_SESSION_KEY)
    if stored is not None and post_sign_in_target(request, stored) is None:
        request.session[NEXT_SESSION_KEY] = None


class PortalAuthenticationRequestView(OIDCAuthenticationRequestView):
    """The library's sign-in start, keeping only a same-site, relative `next`."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = super().get(request)
        post_sign_in_target_store(request)
        return response


class PortalAuthenticationCallbackView(OIDCAuthenticationCallbackView):
    """The library's callback, which trusts the stored target: checked again where it is used."""

    @property
    def success_url(self) -> str:
        target = post_sign_in_target(self.request, self.request.session.get(NEXT_SESSION_KEY))
        return target or resolve_url(settings.LOGIN_REDIRECT_URL)


def provider_logout_url(request: HttpRequest) -> str:
    """Return the provider's end-session URL for the signed-in user (OIDC_OP_LOGOUT_URL_METHOD).

    Called by the library's logout view before it ends the Django session. A break-glass
    session never went through the provider, so it just lands on the signed-out page.
    """
    signed_out = request.build_absolute_uri(reverse("portal_auth:signed_out"))
    id_token = request.session.get("oidc_id_token")
    if not settings.OIDC_OP_LOGOUT_ENDPOINT or not id_token:
        return signed_out
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        # OpenID RP-initiated logout ...
        "id_token_hint": id_token,
        "post_logout_redirect_uri": signed_out,
        # ... and Cognito's /logout, which takes `logout_uri` instead.
        "logout_uri": signed_out,
    }
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(params)}"


@never_cache
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "portal_auth/signed_out.html")


@never_cache
def sign_in_failed(request: HttpRequest) -> HttpResponse:
    return render(request, "portal_auth/sign_in_failed.html")


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Replace the admin's password form: people sign in through the provider."""
    next_url = post_sign_in_target(request, request.GET.get("next")) or resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{urlencode({'next': next_url})}")


class BreakGlassLoginView(LoginView):
    """Password sign-in that only local superusers pass (see BreakGlassBackend)."""

    template_name = "portal_auth/break_glass.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "title": "Break-glass sign-in"}
