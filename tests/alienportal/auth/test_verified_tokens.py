"""A token verified once is remembered, and the memory never accepts what the full checks would refuse."""

from __future__ import annotations

import base64
import json
import time

import pytest

from alienportal.auth import tokens
from tests.tokens import GAME_CLIENT_ID, REPORTS_CLIENT_ID, SigningKey, claims_for, signing_key_new

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.alienportal.auth.api_token_urls")]

GAME, REPORTS = "/api/probe/game/", "/api/probe/reports/"


def _status(client, path: str, token: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code)


def _error(client, path: str, token: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    return str(response.json()["errorMessage"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_remembered_token_is_refused_once_it_expires(client, own_pool, test_key: SigningKey, settings) -> None:
    settings.COGNITO_JWT_LEEWAY_SECONDS = 0
    token = test_key.sign(claims_for(exp=int(time.time()) + 2))
    assert _status(client, REPORTS, token) == 200
    assert _status(client, REPORTS, token) == 200  # from memory
    time.sleep(max(0.0, json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"] - time.time()) + 0.1)
    assert _error(client, REPORTS, token) == "token expired"


def test_a_tampered_copy_of_a_remembered_token_is_refused(client, own_pool, test_key: SigningKey) -> None:
    token = test_key.sign(claims_for())
    assert _status(client, REPORTS, token) == 200
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert _error(client, REPORTS, f"{header}.{payload}.{flipped}").startswith("invalid token")
    # The same signature over claims that grant more (another subject, a longer life).
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = _b64(json.dumps({**claims, "sub": "someone-else", "exp": claims["exp"] + 86400}).encode())
    assert _error(client, REPORTS, f"{header}.{forged}.{signature}").startswith("invalid token")
    assert _status(client, REPORTS, token) == 200


def test_a_remembered_token_opens_no_other_api(client, own_pool, test_key: SigningKey) -> None:
    reports_token = test_key.sign(claims_for())
    game_token = test_key.sign(
        claims_for(sub="player", client_id=GAME_CLIENT_ID, scope="aws.cognito.signin.user.admin")
    )
    assert _status(client, REPORTS, reports_token) == 200
    assert _status(client, GAME, game_token) == 200
    # Each was verified (and remembered) under its own API's rules: neither verdict carries over.
    assert _error(client, GAME, reports_token) == "token client not accepted"
    assert _error(client, REPORTS, game_token) == "token client not accepted"
    # An ID token for another audience is refused wherever it goes.
    stranger = test_key.sign(claims_for(token_use="id", client_id=None, aud="someone-else", scope=None))
    assert _error(client, GAME, stranger) == "token client not accepted"


def test_a_client_taken_off_the_list_is_refused_at_once(client, own_pool, test_key: SigningKey, settings) -> None:
    token = test_key.sign(claims_for())
    assert _status(client, REPORTS, token) == 200
    settings.REPORTS_API_CLIENT_IDS = ["another-client"]
    assert _error(client, REPORTS, token) == "token client not accepted"
    settings.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID]
    assert _status(client, REPORTS, token) == 200


def test_a_key_rotated_out_of_the_key_set_ends_its_remembered_tokens(
    client, own_pool, test_key: SigningKey, settings
) -> None:  # type: ignore[no-untyped-def]
    token = test_key.sign(claims_for())
    assert _status(client, REPORTS, token) == 200
    assert own_pool.requests == 1
    own_pool.keys = [signing_key_new("test-key-2").public_jwk()]
    settings.COGNITO_JWKS_CACHE_SECONDS = 0  # the next look at the key set refetches it
    settings.COGNITO_JWKS_MIN_REFETCH_SECONDS = 0
    assert _error(client, REPORTS, token) == "token signed with an unknown key"
    assert own_pool.requests >= 2


def test_the_memory_is_bounded(own_pool, test_key: SigningKey, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_MAX", 5)
    policy = tokens.TokenPolicy.from_settings(api="reports")
    signed = [test_key.sign(claims_for(sub=f"client-{n}", client_id=REPORTS_CLIENT_ID)) for n in range(8)]
    for token in signed:
        assert tokens.token_verify(token, policy=policy)["client_id"] == REPORTS_CLIENT_ID
    assert len(tokens._verified) == 5
    # The oldest were forgotten, not refused: verified in full again.
    assert tokens.token_verify(signed[0], policy=policy)["sub"] == "client-0"


def test_a_caller_changing_the_claims_it_got_does_not_change_the_remembered_ones(
    own_pool, test_key: SigningKey
) -> None:
    token = test_key.sign(claims_for())
    first = tokens.token_verify(token)
    first["token_use"] = "changed by a caller"
    again = tokens.token_verify(token)  # from memory
    assert again["token_use"] != "changed by a caller"
