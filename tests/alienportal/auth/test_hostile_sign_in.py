"""Attacks on sign-in (issue 14, findings 4 and 5): open redirects, writes on an overdue re-check."""

from __future__ import annotations

import contextlib
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from alienportal.access import Role
from sessions.models import GameSession, GameType
from sessions.services import session_open
from tests.alienportal.auth.test_browser_sign_in import sign_in
from tests.factories import UserFactory

AUTHORIZE = "http://provider.test/auth"
EVIL = ["//evil.example/", "/\\evil.example/", "///evil.example/", "/\t/evil.example/"]


@pytest.fixture
def oidc_settings(settings):  # type: ignore[no-untyped-def]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = AUTHORIZE
    settings.OIDC_RP_CLIENT_ID = "portal-client"
    return settings


def _manager() -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


def _signed_in(user: User, *, recheck_due: bool) -> Client:
    client = Client()
    client.force_login(user, backend="alienportal.auth.backends.CognitoOIDCBackend")
    session = client.session
    session["oidc_id_token_expiration"] = time.time() + (-1 if recheck_due else 3600)
    session.save()
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_get_evil_path_on_an_overdue_recheck_is_not_stored_as_the_sign_in_target(oidc_settings, target) -> None:  # type: ignore[no-untyped-def]
    """Before: SessionRefresh stored get_full_path() (`//evil.example/`) for the callback to redirect to."""
    client = _signed_in(_manager(), recheck_due=True)

    response = client.get("/", PATH_INFO=target)  # the raw request line `GET //evil.example/`

    assert response.status_code == 302
    assert response["Location"].startswith(AUTHORIZE)  # the silent re-check still happens
    stored = client.session.get("oidc_login_next")
    # Whatever is kept must resolve, as a browser resolves a Location, to this site.
    assert stored is None or urlsplit(urljoin("http://testserver/here/", stored)).netloc == "testserver", stored


@pytest.mark.django_db
@pytest.mark.parametrize("target", [*EVIL, "http://evil.example/", "https://testserver.evil.example/"])
def test_sign_in_with_next_pointing_off_site_stores_no_target(client, oidc_settings, target) -> None:  # type: ignore[no-untyped-def]
    client.get("/oidc/authenticate/", {"next": target})
    assert client.session.get("oidc_login_next") is None


@pytest.mark.django_db
def test_sign_in_keeps_a_relative_target_on_this_site(client, oidc_settings) -> None:
    client.get("/oidc/authenticate/", {"next": "/admin/game_sessions/gamesession/?q=1"})
    assert client.session["oidc_login_next"] == "/admin/game_sessions/gamesession/?q=1"


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_admin_login_with_next_pointing_off_site_goes_to_the_portal_home(oidc_settings, target) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(_manager(), recheck_due=False)
    response = client.get("/admin/login/", {"next": target})
    assert response["Location"] == "/"
    assert client.get("/admin/login/", {"next": "/admin/auth/user/"})["Location"] == "/admin/auth/user/"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_stored_double_slash_evil_target_does_not_redirect_off_site_after_the_callback(
    page: Any, live_server: Any, provider: Any
) -> None:
    """Finding 4, the used side: the library's callback answered `302 Location: //evil.example/`.

    Behind gunicorn, `GET //evil.example/` reaches Django as that path and SessionRefresh stored
    it; the test server (http.server) folds a leading `//`, so the stored value is planted in the
    session on the way to the provider.
    """
    sign_in(page, live_server, provider, "manager")
    locations: list[str] = []
    page.on("response", lambda response: locations.append(response.headers.get("location") or ""))

    def plant(route: Any) -> None:
        response = route.fetch(max_redirects=0)  # the sign-in start stores its target ...
        (cookie,) = [item for item in page.context.cookies() if item["name"] == "sessionid"]
        session = SessionStore(session_key=cookie["value"])
        session["oidc_login_next"] = "//evil.example/"  # ... which becomes what gunicorn would store
        session.save()
        route.fulfill(response=response)

    page.route("**/oidc/authenticate/**", plant)
    # Before the fix Chromium ends at http://evil.example/, which does not resolve here.
    with contextlib.suppress(Exception):
        page.goto(f"{live_server.url}/oidc/authenticate/?next=/admin/")
        page.wait_for_load_state()

    assert any(location.startswith(f"{live_server.url}/oidc/callback/") for location in locations), locations
    assert "//evil.example/" not in locations
    assert page.url == f"{live_server.url}/", page.url  # the refused target falls back to the portal home


@pytest.mark.django_db
def test_a_removed_manager_cannot_close_a_session_by_post_once_the_recheck_is_due(oidc_settings) -> None:
    """Finding 5: the library re-checks only GETs, so POSTs kept working for the Django session's life."""
    manager = _manager()
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    client = _signed_in(manager, recheck_due=True)

    response = client.post(f"/admin/game_sessions/gamesession/{session.pk}/close/", {"confirm": "yes"})

    assert response.status_code == 302
    assert response["Location"].startswith("/oidc/authenticate/?next=")
    assert GameSession.objects.get(pk=session.pk).closing_time is None


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_api_write_on_an_overdue_recheck_is_refused_with_403(oidc_settings, method) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(_manager(), recheck_due=True)

    for path in ("/api/auth/me/", "/v1/allocate"):
        response = getattr(client, method)(path, data={"Username": "mia-manager"}, content_type="application/json")

        assert response.status_code == 403, path
        assert response.json()["errorCode"] == "SignInRecheckDue"


@pytest.mark.django_db
def test_a_write_with_a_fresh_sign_in_goes_through(oidc_settings) -> None:
    manager = _manager()
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    client = _signed_in(manager, recheck_due=False)

    client.post(f"/admin/game_sessions/gamesession/{session.pk}/close/", {"confirm": "yes"})

    assert GameSession.objects.get(pk=session.pk).closing_time is not None


@pytest.mark.django_db
def test_sign_out_works_on_an_overdue_recheck(oidc_settings) -> None:
    client = _signed_in(_manager(), recheck_due=True)
    client.post("/oidc/logout/")
    assert "_auth_user_id" not in client.session
