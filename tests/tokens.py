"""Tokens signed with a test key of our own, and the loopback JWKS endpoint that serves its public half.

moto's Cognito issues real RS256 tokens but cannot issue client-credentials tokens with a
resource-server scope such as `reports/read`, and cannot be made to issue expired or otherwise
bad tokens; those are signed here with a test key that a small loopback JWKS endpoint serves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

TEST_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"
REPORTS_CLIENT_ID = "reports-client-test"
GAME_CLIENT_ID = "game-client-test"


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
    """A JWKS endpoint on loopback: a test changes its keys, makes it fail (`status`) or slow (`delay`)."""

    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    status: int = 200
    delay: float = 0.0


@contextmanager
def jwks_served(*, keys: list[dict[str, Any]] | None = None) -> Iterator[JwksServer]:
    """Serve a JWKS document on loopback while the block runs; count the fetches."""
    state = JwksServer(url="", keys=list(keys or []))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            time.sleep(state.delay)
            body = json.dumps({"keys": state.keys}).encode() if state.status == 200 else b"down"
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()


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
