"""Signed-in portal clients, as the portal's sign-in leaves them."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client


def portal_client(user: Any) -> Client:
    """Return a test client signed in as `user` the way the portal signs people in.

    Local superusers use the break-glass password backend; everyone else comes through the
    OpenID provider, so the session also carries a fresh ID-token expiry (no refresh due yet).
    """
    client = Client()
    if user.is_superuser:
        client.force_login(user, backend="alienportal.auth.backends.BreakGlassBackend")
        return client
    client.force_login(user, backend="alienportal.auth.backends.CognitoOIDCBackend")
    session = client.session
    session["oidc_id_token_expiration"] = time.time() + 3600
    session.save()
    return client


def signed_in_context(browser: Any, live_server: Any, user: Any) -> Any:
    """A browser context carrying `user`'s portal session cookie (signed in as the provider would)."""
    client = portal_client(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context
