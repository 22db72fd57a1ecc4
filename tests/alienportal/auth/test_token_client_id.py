"""The app client a token names, by Cognito's rule: `client_id` in access tokens, `aud` in ID tokens."""

from __future__ import annotations

import pytest

from alienportal.auth.tokens import token_client_id


@pytest.mark.parametrize(
    ("claims", "client"),
    [
        ({"token_use": "access", "client_id": "reports-app"}, "reports-app"),
        # An access token's `aud` (Cognito puts none; a forger might) never names its client.
        ({"token_use": "access", "client_id": "reports-app", "aud": "game-app"}, "reports-app"),
        ({"token_use": "access", "aud": "game-app"}, ""),
        ({"token_use": "id", "aud": "game-app"}, "game-app"),
        ({"token_use": "id", "aud": "game-app", "client_id": "reports-app"}, "game-app"),
        ({"token_use": "id", "aud": ["game-app"]}, ""),  # a list is not one client
        ({}, ""),
    ],
)
def test_the_client_follows_the_token_use(claims: dict[str, object], client: str) -> None:
    assert token_client_id(claims) == client
