"""The sign-in redirect carries state, nonce and PKCE; pages need sign-in; sign-in is rate limited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

AUTHORIZE = "http://provider.test/auth"


@pytest.fixture
def oidc_settings(settings):  # type: ignore[no-untyped-def]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = AUTHORIZE
    settings.OIDC_RP_CLIENT_ID = "portal-client"
    return settings


def test_admin_redirects_anonymous_visitors_to_sign_in(client, oidc_settings) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/oidc/authenticate/?next=%2Fadmin%2F"


def test_the_admin_password_form_is_replaced_by_the_provider(client, oidc_settings) -> None:
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"].startswith("/oidc/authenticate/")


def test_sign_in_uses_the_code_flow_with_state_nonce_and_pkce(client, oidc_settings) -> None:
    response = client.get("/oidc/authenticate/?next=/admin/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == "portal-client"
    assert params["redirect_uri"] == "http://testserver/oidc/callback/"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32
    stored = client.session["oidc_states"][params["state"]]
    assert stored["nonce"] == params["nonce"]
    assert stored["code_verifier"]


def test_a_callback_with_an_unknown_state_is_refused(client, oidc_settings) -> None:
    client.get("/oidc/authenticate/")
    response = client.get("/oidc/callback/?code=abc&state=forged-state")
    assert response.status_code == 400  # SuspiciousOperation
    assert "_auth_user_id" not in client.session


def test_break_glass_password_sign_in_works_for_superusers_only(client, oidc_settings) -> None:
    User.objects.create_superuser("root", "root@example.com", "break-glass-password-1")
    User.objects.create_user("staffer", "s@example.com", "staff-password-1", is_staff=True)
    response = client.post("/auth/break-glass/", {"username": "staffer", "password": "staff-password-1"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post("/auth/break-glass/", {"username": "root", "password": "break-glass-password-1"})
    assert (response.status_code, response["Location"]) == (302, "/")  # the portal home
    assert client.get("/admin/").status_code == 200


def test_break_glass_logout_does_not_go_to_the_provider(client, oidc_settings) -> None:
    settings = oidc_settings
    settings.OIDC_OP_LOGOUT_ENDPOINT = "http://provider.test/session/end"
    User.objects.create_superuser("root", "root@example.com", "break-glass-password-1")
    client.post("/auth/break-glass/", {"username": "root", "password": "break-glass-password-1"})
    response = client.post("/admin/logout/")
    assert response["Location"] == "http://testserver/auth/signed-out/"
    assert "_auth_user_id" not in client.session


def test_sign_in_attempts_are_rate_limited_with_retry_after(client, oidc_settings) -> None:
    oidc_settings.SIGN_IN_RATE_LIMIT = (5, 60)
    statuses = [client.get("/oidc/authenticate/").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    response = client.post("/auth/break-glass/", {"username": "root", "password": "guess"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    # Pages that are not sign-in are not limited by it.
    assert client.get("/auth/signed-out/").status_code == 200
