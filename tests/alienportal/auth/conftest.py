"""Fixtures of the identity tests: the development OpenID provider for browser sign-ins, fresh token caches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from alienportal.devstack.oidc import oidc_provider_start
from tests.alienportal.auth.provider import OidcProvider, demo_accounts
from tests.machine import LOG_DIR


@pytest.fixture(autouse=True)
def _fresh_caches(token_caches_cleared: None) -> None:
    """Each test starts with no cached keys and no spent rate budgets."""


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:  # type: ignore[no-untyped-def]
    """Run the development OpenID provider for the session, registered for the live server."""
    accounts_file = tmp_path_factory.mktemp("oidc") / "accounts.json"
    provider = OidcProvider(url="", accounts_file=accounts_file, accounts=demo_accounts())
    provider.reset()
    service = oidc_provider_start(
        accounts_file=accounts_file,
        redirect_uris=[f"{live_server.url}/oidc/callback/"],
        post_logout_redirect_uris=[f"{live_server.url}/auth/signed-out/"],
        log_dir=LOG_DIR,
    )
    provider.url = service.url
    previous = {name: getattr(settings, name) for name in service.extra}
    for name, value in service.extra.items():
        setattr(settings, name, value)
    yield provider
    for name, value in previous.items():
        setattr(settings, name, value)
    service.stop()


@pytest.fixture
def provider(oidc_provider: OidcProvider) -> Iterator[OidcProvider]:
    """The provider with the demo accounts as provisioned, whatever a test changes."""
    oidc_provider.reset()
    yield oidc_provider
    oidc_provider.reset()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
