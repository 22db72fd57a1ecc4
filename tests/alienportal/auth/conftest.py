"""Fixtures for identity tests: a JWKS endpoint of our own on loopback and tokens signed with it.

moto's Cognito issues real RS256 tokens but cannot issue client-credentials tokens with a
resource-server scope such as `reports/read`, and cannot be made to issue expired or otherwise
bad tokens; those are signed here with a test key that a small loopback JWKS endpoint serves.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache

from alienportal.auth.jwks import jwks_cache_clear
from alienportal.devstack.oidc import oidc_accounts_write, oidc_provider_start
from alienportal.provisioning import DEMO_USERS

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
    settings.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID]
    settings.GAME_API_CLIENT_IDS = [GAME_CLIENT_ID]
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


# --- the development OpenID provider and the browser ------------------------------------------

LOG_DIR = Path(__file__).resolve().parents[3] / "var" / "test-logs"


def demo_accounts() -> list[dict[str, Any]]:
    """The provisioning step's demo users as provider accounts, each with a stable sub."""
    return [
        {
            "username": user.username,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alienportal-test:{user.username}")),
            "password": user.password,
            "email": user.email,
            "groups": [user.group],
        }
        for user in DEMO_USERS
    ]


@dataclass
class OidcProvider:
    url: str
    accounts_file: Path
    accounts: list[dict[str, Any]]

    def groups_set(self, username: str, groups: list[str]) -> None:
        """Change a user's groups at the provider, as an administrator would in Cognito."""
        for account in self.accounts:
            if account["username"] == username:
                account["groups"] = groups
        oidc_accounts_write(self.accounts_file, self.accounts)

    def reset(self) -> None:
        self.accounts = demo_accounts()
        oidc_accounts_write(self.accounts_file, self.accounts)


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
