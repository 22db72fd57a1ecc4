"""Sign-in, sign-out and access-denied pages around the OIDC flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


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
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{urlencode({'next': next_url})}")


class BreakGlassLoginView(LoginView):
    """Password sign-in that only local superusers pass (see BreakGlassBackend)."""

    template_name = "portal_auth/break_glass.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "title": "Break-glass sign-in"}
