"""Sign-in through the real OpenID provider in Chromium: each role sees what it may, sign-out is complete."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from alienportal.devstack.oidc import oidc_accounts_write
from alienportal.provisioning import DEMO_USERS
from tests.alienportal.auth.provider import OidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "portal"


def sign_in(page: Any, live_server: Any, provider: OidcProvider, username: str, path: str = "/admin/") -> None:
    """Open a portal page, get sent to the provider's login page, sign in there."""
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector("input[name=username]")
    assert page.url.startswith(f"{provider.url}/interaction/"), page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


def sign_out_at_provider(page: Any, live_server: Any, provider: OidcProvider) -> None:
    """Confirm the provider's end-session page and land on the portal's signed-out page."""
    page.wait_for_url(f"{provider.url}/session/end**")
    page.click("button[name=logout]")
    page.wait_for_url(f"{live_server.url}/auth/signed-out/")
    assert page.get_by_role("heading", name="You are signed out").is_visible()


def assert_signed_out_everywhere(page: Any, live_server: Any, provider: OidcProvider) -> None:
    """The portal asks for sign-in again, and the provider asks for the password again."""
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("input[name=password]")
    assert page.url.startswith(f"{provider.url}/interaction/")


def test_manager_signs_in_sees_the_admin_and_signs_out_at_the_provider_too(page, live_server, provider) -> None:
    sign_in(page, live_server, provider, "manager")
    assert page.url == f"{live_server.url}/admin/"
    assert page.get_by_role("heading", name="Administration", exact=True).is_visible()
    # Managers may look at the users (read-only: users and groups are managed in Cognito).
    assert page.goto(f"{live_server.url}/admin/auth/user/").status == 200
    manager = User.objects.get(username="manager")
    assert manager.identity.subject == provider.accounts[0]["sub"]
    assert set(manager.groups.values_list("name", flat=True)) == {"Managers"}
    assert manager.has_perm("game_sessions.change_gamesession")
    assert not manager.has_usable_password()

    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("button", name="Log out").click()
    sign_out_at_provider(page, live_server, provider)
    assert_signed_out_everywhere(page, live_server, provider)


def test_support_sees_the_admin_but_not_session_control(page, live_server, provider) -> None:
    sign_in(page, live_server, provider, "support")
    assert page.get_by_role("heading", name="Administration", exact=True).is_visible()
    assert page.goto(f"{live_server.url}/admin/auth/user/").status == 403
    support = User.objects.get(username="support")
    assert support.has_perms(["game_sessions.change_seat", "game_sessions.view_gamesession"])
    assert not support.has_perm("game_sessions.change_gamesession")
    assert not support.has_perm("game_sessions.add_gamesession")


def test_player_gets_the_403_page_and_can_sign_out(page, live_server, provider) -> None:
    sign_in(page, live_server, provider, "player")
    assert page.get_by_role("heading", name="No access to Alien Portal").is_visible()
    # Not a redirect loop: the page itself answers 403, every time.
    for path in ("/admin/", "/admin/login/", "/admin/auth/user/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
        assert page.url == f"{live_server.url}{path}"
    page.get_by_role("button", name="Sign out").click()
    sign_out_at_provider(page, live_server, provider)
    assert_signed_out_everywhere(page, live_server, provider)


@pytest.mark.parametrize(("username", "dashboards"), [("manager", 4), ("support", 3)])
def test_signing_in_from_the_signed_out_page_lands_on_the_portal_home(
    page, live_server, provider, username, dashboards
) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/auth/signed-out/")
    page.get_by_role("link", name="Sign in again").click()  # no page to return to
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")

    assert page.url == f"{live_server.url}/"
    home = page.locator("#content")
    assert home.get_by_role("link", name="Live ranking").is_visible()
    assert home.locator('a[href^="/reports/dashboards/"]').count() >= dashboards
    assert (home.get_by_role("link", name="Cost and capacity").count() == 1) == (username == "manager")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"home-after-sign-in-{username}.png"), full_page=True)


def test_wrong_password_stays_at_the_provider(page, live_server, provider) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    assert page.url.startswith(provider.url)
    assert not User.objects.filter(username="manager").exists()


def test_a_group_removed_at_the_provider_takes_effect_at_the_next_refresh(
    page, live_server, provider, settings
) -> None:
    settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = 3
    sign_in(page, live_server, provider, "manager")
    assert page.get_by_role("heading", name="Administration", exact=True).is_visible()
    signed_in_at = time.monotonic()

    provider.groups_set("manager", ["Players"])
    # Until the sign-in is due for a re-check the portal still trusts it ...
    assert page.goto(f"{live_server.url}/admin/").status == 200
    assert time.monotonic() - signed_in_at < 3, "the check above must run before the refresh is due"
    time.sleep(max(0.0, 3.2 - (time.monotonic() - signed_in_at)))
    # ... then the next page load re-checks silently at the provider (prompt=none: no login
    # page) and the new groups apply.
    response = page.goto(f"{live_server.url}/admin/")
    assert response.status == 403
    assert page.get_by_role("heading", name="No access to Alien Portal").is_visible()
    manager = User.objects.get(username="manager")
    assert set(manager.groups.values_list("name", flat=True)) == {"Players"}
    assert not manager.is_staff

    # Given the group back, the next refresh restores access, again without a login page.
    provider.groups_set("manager", ["Managers"])
    time.sleep(3.2)
    assert page.goto(f"{live_server.url}/admin/").status == 200
    assert page.get_by_role("heading", name="Administration", exact=True).is_visible()


def test_an_account_removed_at_the_provider_is_signed_out_at_the_next_refresh(
    page, live_server, provider, settings
) -> None:
    settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = 2
    sign_in(page, live_server, provider, "support")
    assert page.get_by_role("heading", name="Administration", exact=True).is_visible()
    provider.accounts = [account for account in provider.accounts if account["username"] != "support"]
    oidc_accounts_write(provider.accounts_file, provider.accounts)
    time.sleep(2.2)
    page.goto(f"{live_server.url}/admin/")
    # The silent re-check fails (the provider no longer knows the account): signed out here.
    page.wait_for_url(f"{live_server.url}/auth/sign-in-failed/")
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("input[name=password]")
    assert page.url.startswith(f"{provider.url}/interaction/")
