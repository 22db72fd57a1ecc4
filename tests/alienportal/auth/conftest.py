"""Fixtures for identity tests: a JWKS endpoint of our own on loopback and tokens signed with it.

moto's Cognito issues real RS256 tokens but cannot issue client-credentials tokens with a
resource-server scope such as `reports/read`, and cannot be made to issue expired or otherwise
bad tokens; those are signed here with a test key that a small loopback JWKS endpoint serves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from alienportal.auth.jwks import jwks_cache_clear

TEST_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"
REPORTS_CLIENT_ID = "reports-client-test"


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})})


def signing_key_new(kid: str) -> SigningKey:
    return SigningKey(kid=kid, private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))


@dataclass
class JwksServer:
    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[JwksServer]:
    """Serve a JWKS document on loopback whose keys a test can change; count the fetches."""
    state = JwksServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


@pytest.fixture(scope="session")
def test_key() -> SigningKey:
    return signing_key_new("test-key-1")


@pytest.fixture
def own_pool(settings, jwks_server: JwksServer, test_key: SigningKey) -> JwksServer:  # type: ignore[no-untyped-def]
    """Trust the loopback JWKS and the test issuer, as a deployment trusts its Cognito pool."""
    jwks_server.keys = [test_key.public_jwk()]
    jwks_server.requests = 0
    settings.COGNITO_JWKS_URL = jwks_server.url
    settings.COGNITO_ISSUER = TEST_ISSUER
    settings.COGNITO_ALLOWED_CLIENT_IDS = [REPORTS_CLIENT_ID]
    return jwks_server


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts with no cached keys and no spent rate budgets."""
    jwks_cache_clear()
    cache.clear()
    yield
    jwks_cache_clear()


def claims_for(**overrides: Any) -> dict[str, Any]:
    """Claims of a Cognito client-credentials access token of the reports client."""
    now = int(time.time())
    claims = {
        "iss": TEST_ISSUER,
        "sub": REPORTS_CLIENT_ID,
        "client_id": REPORTS_CLIENT_ID,
        "token_use": "access",
        "scope": "reports/read",
        "iat": now,
        "exp": now + 3600,
        "jti": "test-jti",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}
