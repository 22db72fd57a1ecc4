"""The sign-in backend accepts only RS256 ID tokens from the configured issuer, for this client."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.core.exceptions import SuspiciousOperation

from alienportal.auth.backends import CognitoOIDCBackend
from tests.tokens import JwksServer, SigningKey, signing_key_new

ISSUER = "http://provider.test"
CLIENT_ID = "portal-client"


@pytest.fixture
def backend(settings, jwks_server: JwksServer, test_key: SigningKey) -> CognitoOIDCBackend:  # type: ignore[no-untyped-def]
    jwks_server.keys = [test_key.public_jwk()]
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_OP_JWKS_ENDPOINT = jwks_server.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    return CognitoOIDCBackend()


def _id_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "sub-1",
        "iat": now,
        "exp": now + 600,
        "nonce": "n-1",
        "token_use": "id",
        "cognito:username": "alice",
        "cognito:groups": ["Managers"],
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def test_a_valid_id_token_is_accepted_with_its_nonce(backend, test_key: SigningKey) -> None:
    claims = backend.verify_token(test_key.sign(_id_claims()), nonce="n-1")
    assert claims["cognito:groups"] == ["Managers"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-client"},
        {"iss": "http://evil.test"},
        {"exp": 1},
        {"aud": None},
        {"sub": None},
    ],
)
def test_id_tokens_for_another_client_issuer_or_time_are_refused(backend, test_key, overrides) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(test_key.sign(_id_claims(**overrides)), nonce="n-1")


def test_a_replayed_id_token_with_another_nonce_is_refused(backend, test_key: SigningKey) -> None:
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(test_key.sign(_id_claims()), nonce="n-2")


def test_unsigned_and_foreign_id_tokens_are_refused(backend, test_key: SigningKey) -> None:
    unsigned = jwt.encode(_id_claims(), None, algorithm="none", headers={"kid": test_key.kid})
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(unsigned, nonce="n-1")
    foreign = signing_key_new(test_key.kid).sign(_id_claims())  # our kid, someone else's key
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(foreign, nonce="n-1")


def test_an_access_token_cannot_stand_in_for_an_id_token(backend) -> None:
    assert not backend.verify_claims(_id_claims(token_use="access"))
    assert backend.verify_claims(_id_claims())
