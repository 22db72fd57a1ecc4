"""Bearer tokens: real RS256 tokens from moto's Cognito are accepted, forged and stale ones are not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from alienportal.aws import aws_client
from alienportal.provisioning import DEMO_USERS
from tests.tokens import GAME_CLIENT_ID, REPORTS_CLIENT_ID, TEST_ISSUER, SigningKey, claims_for, signing_key_new

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"
PROBE = "/api/probe/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _get(client, path: str, token: str | None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get(path, **headers)


@pytest.fixture
def moto_pool(settings, provisioned):  # type: ignore[no-untyped-def]
    """Trust the moto pool the way production trusts Cognito: pool id and allowed app clients."""
    settings.COGNITO_USER_POOL_ID = provisioned.user_pool_id
    settings.COGNITO_ISSUER = ""
    settings.COGNITO_JWKS_URL = ""  # derived from the configured endpoint and pool, not from `iss`
    settings.GAME_API_CLIENT_IDS = [provisioned.game_client_id]
    return provisioned


def _moto_tokens(provisioned, username: str, password: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    result = aws_client("cognito-idp").admin_initiate_auth(
        UserPoolId=provisioned.user_pool_id,
        ClientId=provisioned.game_client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    return {"access": result["AccessToken"], "id": result["IdToken"]}


@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda user: user.username)
@pytest.mark.parametrize("token_use", ["access", "id"])
def test_moto_cognito_tokens_are_accepted_with_their_groups(client, moto_pool, user, token_use: str) -> None:
    token = _moto_tokens(moto_pool, user.username, user.password)[token_use]
    response = _get(client, ME, token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == user.username
    assert body["roles"] == [user.group]
    assert body["token_use"] == token_use
    assert body["client_id"] == moto_pool.game_client_id


def test_no_token_is_401_with_the_bearer_scheme(client, moto_pool) -> None:
    response = _get(client, ME, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "errorMessage": "Authentication credentials were not provided.",
        "errorCode": "NotAuthenticated",
    }


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer x y"])
def test_malformed_authorization_is_401(client, moto_pool, header: str) -> None:
    assert client.get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_moto_token_signed_with_another_key_is_401(client, moto_pool) -> None:
    real = _moto_tokens(moto_pool, "player", "Player-pass-1")["access"]
    claims = jwt.decode(real, options={"verify_signature": False})
    forged = signing_key_new("dummy").sign({**claims, "cognito:groups": ["Managers"]})  # moto's kid, our key
    response = _get(client, ME, forged)
    assert response.status_code == 401
    assert "Signature verification failed" in response.json()["errorMessage"]


def test_moto_token_with_tampered_claims_is_401(client, moto_pool) -> None:
    real = _moto_tokens(moto_pool, "player", "Player-pass-1")["access"]
    header, payload, signature = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["Managers"]
    tampered = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert _get(client, ME, tampered).status_code == 401


def test_alg_none_is_401(client, moto_pool) -> None:
    real = _moto_tokens(moto_pool, "manager", "Manager-pass-1")["access"]
    claims = jwt.decode(real, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "dummy"})
    response = _get(client, ME, unsigned)
    assert response.status_code == 401
    assert response.json()["errorMessage"] == "token algorithm must be RS256"
    # The same with an empty signature segment, as attackers usually send it.
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "dummy"}).encode())
    assert _get(client, ME, f"{header}.{_b64(json.dumps(claims).encode())}.").status_code == 401


def test_hs256_signed_with_the_public_key_is_401(client, moto_pool) -> None:
    real = _moto_tokens(moto_pool, "manager", "Manager-pass-1")["access"]
    claims = jwt.decode(real, options={"verify_signature": False})
    jwks = jwt.PyJWKClient(f"{moto_pool.endpoint_url}/{moto_pool.user_pool_id}/.well-known/jwks.json")
    public_pem = jwks.get_signing_key("dummy").key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "dummy"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = _b64(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    response = _get(client, ME, f"{header}.{body}.{signature}")
    assert response.status_code == 401
    assert response.json()["errorMessage"] == "token algorithm must be RS256"


def test_token_of_a_client_not_on_the_allow_list_is_401(client, moto_pool, settings) -> None:
    tokens = _moto_tokens(moto_pool, "manager", "Manager-pass-1")
    settings.GAME_API_CLIENT_IDS = [moto_pool.portal_client_id]  # not the game client
    assert _get(client, ME, tokens["access"]).status_code == 401  # client_id
    assert _get(client, ME, tokens["id"]).status_code == 401  # aud


def test_token_of_another_pool_is_401(client, moto_pool, settings) -> None:
    token = _moto_tokens(moto_pool, "manager", "Manager-pass-1")["access"]
    settings.COGNITO_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeOtherPool"
    assert _get(client, ME, token).status_code == 401


# --- tokens signed with our own test key, served by the loopback JWKS -------------------------


def test_reports_client_with_the_scope_is_accepted(client, own_pool, test_key: SigningKey) -> None:
    response = _get(client, ME, test_key.sign(claims_for()))
    assert response.status_code == 200
    assert response.json() == {
        "username": "",
        "roles": [],
        "client_id": REPORTS_CLIENT_ID,
        "token_use": "access",
        "scopes": ["reports/read"],
    }


@pytest.mark.urls("tests.alienportal.auth.scope_urls")
def test_scope_decides_the_reports_probe(client, own_pool, test_key: SigningKey) -> None:
    assert _get(client, PROBE, test_key.sign(claims_for())).status_code == 200
    assert _get(client, PROBE, test_key.sign(claims_for(scope="reports/write other"))).status_code == 403
    assert _get(client, PROBE, test_key.sign(claims_for(scope=None))).status_code == 403
    assert _get(client, PROBE, None).status_code == 401


@pytest.mark.urls("tests.alienportal.auth.scope_urls")
def test_moto_user_tokens_lack_the_reports_scope(client, moto_pool) -> None:
    token = _moto_tokens(moto_pool, "manager", "Manager-pass-1")["access"]
    assert _get(client, PROBE, token).status_code == 403


@pytest.mark.parametrize(
    ("reason", "overrides"),
    [
        ("token expired", {"iat": -7200, "exp": -3600}),
        ("token not yet valid", {"iat": 3600, "exp": 7200}),
        ("token not yet valid", {"nbf": 3600}),
        ("issuer not accepted", {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}),
        ("issuer not accepted", {"iss": "https://evil.example/us-east-1_TestPool"}),
        ("client not accepted", {"client_id": "someone-else", "sub": "someone-else"}),
        ("token_use not accepted", {"token_use": "refresh"}),
        ("token_use", {"token_use": None}),
        ("exp", {"exp": None}),
        ("iat", {"iat": None}),
        ("client not accepted", {"token_use": "id", "client_id": None, "aud": "someone-else"}),
        ("client not accepted", {"client_id": None, "aud": REPORTS_CLIENT_ID}),
    ],
)
def test_invalid_claims_are_401(client, own_pool, test_key: SigningKey, reason: str, overrides: dict[str, Any]) -> None:
    now = int(time.time())
    relative = {key: now + value for key, value in overrides.items() if key in ("iat", "exp", "nbf") and value}
    claims = claims_for(**{**overrides, **relative})
    response = _get(client, ME, test_key.sign(claims))
    assert response.status_code == 401
    assert reason in response.json()["errorMessage"]


def test_id_token_for_an_allowed_audience_is_accepted(client, own_pool, test_key: SigningKey) -> None:
    claims = claims_for(token_use="id", client_id=None, aud=GAME_CLIENT_ID, scope=None)
    assert _get(client, ME, test_key.sign(claims)).status_code == 200


def test_small_clock_skew_is_tolerated(client, own_pool, test_key: SigningKey) -> None:
    now = int(time.time())
    assert _get(client, ME, test_key.sign(claims_for(iat=now + 10, exp=now + 3600))).status_code == 200
    assert _get(client, ME, test_key.sign(claims_for(iat=now - 3600, exp=now - 10))).status_code == 200
    assert _get(client, ME, test_key.sign(claims_for(iat=now - 3600, exp=now - 120))).status_code == 401


def test_unknown_kid_is_401_after_one_refetch(client, own_pool, test_key: SigningKey, settings) -> None:
    settings.COGNITO_JWKS_MIN_REFETCH_SECONDS = 1
    assert _get(client, ME, test_key.sign(claims_for())).status_code == 200
    assert own_pool.requests == 1
    time.sleep(1.1)
    stranger = signing_key_new("not-in-the-jwks")
    for _ in range(5):
        response = _get(client, ME, stranger.sign(claims_for()))
        assert response.status_code == 401
        assert response.json()["errorMessage"] == "token signed with an unknown key"
    # One refetch for the unknown kid, then no more within the refetch interval: made-up kids
    # cannot turn into a flood of requests to the provider.
    assert own_pool.requests == 2


def test_rotated_key_is_picked_up_by_refetching_once(client, own_pool, test_key: SigningKey, settings) -> None:
    settings.COGNITO_JWKS_MIN_REFETCH_SECONDS = 0
    assert _get(client, ME, test_key.sign(claims_for())).status_code == 200
    rotated = signing_key_new("test-key-2")
    own_pool.keys = [test_key.public_jwk(), rotated.public_jwk()]
    assert _get(client, ME, rotated.sign(claims_for())).status_code == 200
    assert own_pool.requests == 2
    assert _get(client, ME, rotated.sign(claims_for())).status_code == 200
    assert own_pool.requests == 2  # cached now


def test_a_token_accepted_before_is_refused_once_it_expires(client, own_pool, test_key: SigningKey, settings) -> None:
    settings.COGNITO_JWT_LEEWAY_SECONDS = 0
    now = int(time.time())
    token = test_key.sign(claims_for(iat=now, exp=now + 2))
    assert _get(client, ME, token).status_code == 200
    assert _get(client, ME, token).status_code == 200  # verified once, kept
    time.sleep(max(0.0, now + 2.1 - time.time()))
    response = _get(client, ME, token)
    assert (response.status_code, response.json()["errorMessage"]) == (401, "token expired")


def test_a_token_accepted_before_is_refused_once_its_key_leaves_the_key_set(
    client, own_pool, test_key: SigningKey, settings
) -> None:
    token = test_key.sign(claims_for())
    assert _get(client, ME, token).status_code == 200
    own_pool.keys = [signing_key_new("test-key-2").public_jwk()]  # the provider rotated test_key out
    settings.COGNITO_JWKS_CACHE_SECONDS = 0  # and the cached key set is stale
    response = _get(client, ME, token)
    assert (response.status_code, response.json()["errorMessage"]) == (401, "token signed with an unknown key")


def test_a_token_accepted_before_is_refused_once_its_client_is_no_longer_allowed(
    client, own_pool, test_key: SigningKey, settings
) -> None:
    token = test_key.sign(claims_for())
    assert _get(client, ME, token).status_code == 200
    settings.REPORTS_API_CLIENT_IDS = ["another-client"]
    response = _get(client, ME, token)
    assert (response.status_code, response.json()["errorMessage"]) == (401, "token client not accepted")


def test_token_issuer_is_never_used_to_find_keys(client, own_pool, settings) -> None:
    # A token that names an issuer serving the attacker's keys must not be verified with them.
    attacker = signing_key_new("attacker")
    settings.COGNITO_ISSUER = TEST_ISSUER
    claims = claims_for(iss=own_pool.url.rsplit("/.well-known", 1)[0])
    assert _get(client, ME, attacker.sign(claims)).status_code == 401


def test_api_rate_limit_answers_429_with_retry_after(client, own_pool, test_key: SigningKey, settings) -> None:
    settings.API_THROTTLE_RATE = "3/min"
    token = test_key.sign(claims_for())
    statuses = [_get(client, ME, token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = _get(client, ME, token)
    assert 0 < int(throttled["Retry-After"]) <= 60
    # Another caller has a budget of its own.
    other = test_key.sign(claims_for(sub="another-client"))
    assert _get(client, ME, other).status_code == 200


def test_the_api_schema_documents_the_bearer_scheme(client, own_pool, test_key: SigningKey) -> None:
    response = _get(client, "/api/schema/?format=json", test_key.sign(claims_for()))
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["components"]["securitySchemes"]["cognitoBearer"]["scheme"] == "bearer"
    assert {"cognitoBearer": []} in schema["paths"]["/api/auth/me/"]["get"]["security"]


@pytest.mark.urls("tests.alienportal.auth.scope_urls")
def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_budget(client, settings) -> None:
    settings.API_THROTTLE_RATE = "2/min"
    statuses = [client.get("/api/public-probe/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
