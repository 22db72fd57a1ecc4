"""Verify Cognito JSON Web Tokens: RS256 signature, issuer, lifetime, token use and client."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from alienportal.auth.jwks import ALGORITHM, JwksUnavailable, jwks_signing_key

logger = logging.getLogger(__name__)


class TokenRejected(Exception):
    """The token is not one we accept; the message says why (safe to show the caller)."""


@dataclass(frozen=True)
class ApiTokens:
    """Which tokens one API accepts: the settings naming its app clients and token uses."""

    client_ids_setting: str
    token_uses_setting: str
    # The original game's API Gateway authorizer took `Authorization: <JWT>` with no scheme.
    bare_token: bool = False


# Every API that accepts tokens, by the name its views give in `token_api`. Each API has its own
# app clients, so a token obtained for one (a reports client's, a player's game token) opens no
# other; the portal's own OIDC client (`OIDC_RP_CLIENT_ID`) is refused by all of them, so an ID
# token lifted from a browser sign-in opens no API. Add a row (and its two settings) for a new API.
API_TOKENS: dict[str, ApiTokens] = {
    "game": ApiTokens("GAME_API_CLIENT_IDS", "GAME_API_TOKEN_USES", bare_token=True),
    "reports": ApiTokens("REPORTS_API_CLIENT_IDS", "REPORTS_API_TOKEN_USES"),
}


def api_tokens(api: str) -> ApiTokens:
    """Return the token rule of the API named `api` (a view's `token_api`)."""
    try:
        return API_TOKENS[api]
    except KeyError:
        raise ImproperlyConfigured(f"token_api {api!r} is not in alienportal.auth.tokens.API_TOKENS") from None


@dataclass(frozen=True)
class TokenPolicy:
    """What a token must satisfy; read from settings on each call so tests and env can change it."""

    jwks_url: str
    issuer: str
    # (app client id, token use) pairs accepted: an ID token of one client may be welcome where
    # only access tokens of another are.
    clients: frozenset[tuple[str, str]]
    leeway: int
    jwks_max_age: float
    jwks_min_refetch_interval: float
    refused_client_ids: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, *, api: str | None = None) -> TokenPolicy:
        """The policy of the API named `api`; None (an endpoint of no particular API, e.g. the
        caller's own identity): the tokens any API accepts."""
        pool_id = settings.COGNITO_USER_POOL_ID
        issuer = settings.COGNITO_ISSUER or (
            f"https://cognito-idp.{settings.AWS_REGION}.amazonaws.com/{pool_id}" if pool_id else ""
        )
        jwks_url = settings.COGNITO_JWKS_URL
        if not jwks_url and pool_id:
            # From our own configuration (endpoint + pool), never from a token's `iss`: moto's
            # tokens name the real AWS issuer while their keys are served by moto.
            base = f"{settings.AWS_ENDPOINT_URL}/{pool_id}" if settings.AWS_ENDPOINT_URL else issuer
            jwks_url = f"{base}/.well-known/jwks.json"
        return cls(
            jwks_url=jwks_url,
            issuer=issuer,
            clients=frozenset(
                (str(client_id), str(token_use))
                for rule in ([api_tokens(api)] if api else API_TOKENS.values())
                for client_id in getattr(settings, rule.client_ids_setting)
                for token_use in getattr(settings, rule.token_uses_setting)
            ),
            refused_client_ids=frozenset({settings.OIDC_RP_CLIENT_ID} - {""}),
            leeway=settings.COGNITO_JWT_LEEWAY_SECONDS,
            jwks_max_age=settings.COGNITO_JWKS_CACHE_SECONDS,
            jwks_min_refetch_interval=settings.COGNITO_JWKS_MIN_REFETCH_SECONDS,
        )


def rs256_header(token: str | bytes) -> dict[str, Any]:
    """Return the unverified header of an RS256 token; raise jwt.InvalidAlgorithmError for any other
    algorithm, another jwt.PyJWTError if it is no token at all."""
    header: dict[str, Any] = jwt.get_unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise jwt.InvalidAlgorithmError(f"token algorithm must be {ALGORITHM}")
    return header


def rs256_decode(
    token: str | bytes, *, key: Any, issuer: str, leeway: int, require: tuple[str, ...], audience: str | None = None
) -> dict[str, Any]:
    """Return the claims of an RS256 token signed by `key` from `issuer`; raise jwt.PyJWTError otherwise.

    The audience is checked only when `audience` is given (Cognito access tokens carry none)."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        options={"require": list(require), "verify_aud": audience is not None},
    )
    return claims


# Tokens whose signature and claims were verified, by their exact text and what verified them:
# (token, JWKS URL, issuer, leeway) -> (kid, key, claims). A game client sends the same ID token
# with every status (~3/s for an hour); PyJWT spends ~200 us of CPU on each verification (RSA,
# and base64 alphabet checks in Python). A hit is still checked against what can change since:
# the key must still be the key set's key for that kid (a rotated-out key stops its tokens), and
# the token must not have expired; the client and token use are checked on every call below.
# Only valid tokens are kept, so made-up tokens cost a full verification each, as before.
VERIFIED_TOKENS_MAX = 4096
_verified: OrderedDict[tuple[str, str, str, int], tuple[str, Any, dict[str, Any]]] = OrderedDict()
_verified_lock = threading.Lock()


def _policy_key(policy: TokenPolicy, kid: str) -> Any | None:
    return jwks_signing_key(
        url=policy.jwks_url, kid=kid, max_age=policy.jwks_max_age, min_refetch_interval=policy.jwks_min_refetch_interval
    )


def _verified_claims(token: str, policy: TokenPolicy) -> dict[str, Any] | None:
    cache_key = (token, policy.jwks_url, policy.issuer, policy.leeway)
    with _verified_lock:
        entry = _verified.get(cache_key)
        if entry is not None:
            _verified.move_to_end(cache_key)
    if entry is None:
        return None
    kid, key, claims = entry
    try:
        current = _policy_key(policy, kid)
    except JwksUnavailable:
        current = None
    if current is not key or not claims["exp"] > time.time() - policy.leeway:
        with _verified_lock:
            _verified.pop(cache_key, None)
        return None
    return dict(claims)  # a copy: a caller that changed it would change every later request's claims


def _verified_keep(token: str, policy: TokenPolicy, kid: str, key: Any, claims: dict[str, Any]) -> None:
    with _verified_lock:
        _verified[(token, policy.jwks_url, policy.issuer, policy.leeway)] = (kid, key, dict(claims))
        while len(_verified) > VERIFIED_TOKENS_MAX:
            _verified.popitem(last=False)


def verified_tokens_clear() -> None:
    """Forget every verified token (tests, and after a configuration change)."""
    with _verified_lock:
        _verified.clear()


def token_verify(token: str, *, policy: TokenPolicy | None = None) -> dict[str, Any]:
    """Return the claims of a valid token, or raise TokenRejected."""
    policy = policy or TokenPolicy.from_settings()
    if not policy.jwks_url or not policy.issuer:
        raise TokenRejected("bearer tokens are not configured")
    claims = _verified_claims(token, policy)
    if claims is None:
        claims = _token_decode(token, policy)
    token_use = claims.get("token_use")
    if token_use not in {use for _, use in policy.clients}:
        raise TokenRejected("token_use not accepted")
    client = token_client_id(claims)
    if not client or client in policy.refused_client_ids or (client, token_use) not in policy.clients:
        raise TokenRejected("token client not accepted")
    return claims


def _token_decode(token: str, policy: TokenPolicy) -> dict[str, Any]:
    try:
        header = rs256_header(token)
    except jwt.InvalidAlgorithmError as exc:
        raise TokenRejected(f"token algorithm must be {ALGORITHM}") from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected("malformed token") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRejected("token has no key id")
    try:
        key = _policy_key(policy, kid)
    except JwksUnavailable as exc:
        logger.error("token.jwks_unavailable error=%s", exc)
        raise TokenRejected("signing keys are unavailable") from exc
    if key is None:
        raise TokenRejected("token signed with an unknown key")
    try:
        claims = rs256_decode(
            token,
            key=key,
            issuer=policy.issuer,
            leeway=policy.leeway,
            require=("exp", "iat", "iss", "sub", "token_use"),
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected("token expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise TokenRejected("token not yet valid") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRejected("token issuer not accepted") from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"invalid token: {exc}") from exc
    if not isinstance(claims.get("exp"), int | float):
        raise TokenRejected("invalid token: exp is not a number")
    _verified_keep(token, policy, kid, key, claims)
    return claims


def token_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """Return the OAuth scopes of verified claims (Cognito: one space-separated string)."""
    scope = claims.get("scope") or ""
    return frozenset(scope.split()) if isinstance(scope, str) else frozenset()


def token_client_id(claims: dict[str, Any]) -> str:
    """Return the app client a token was issued to, "" if it names none."""
    # Cognito names the client `client_id` in access tokens and `aud` in ID tokens.
    client = claims.get("client_id") if claims.get("token_use") == "access" else claims.get("aud")
    return client if isinstance(client, str) else ""
