"""Authentication backends: Cognito OIDC sign-in for everyone, passwords for local superusers only."""

from __future__ import annotations

import logging
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from alienportal.auth.jwks import JwksUnavailable, jwks_signing_key
from alienportal.auth.services import user_from_claims, user_roles_sync
from alienportal.auth.tokens import rs256_decode, rs256_header

logger = logging.getLogger(__name__)


class CognitoOIDCBackend(OIDCAuthenticationBackend):
    """Sign people in with the provider's ID token: match by `sub`, sync roles from `cognito:groups`.

    The library's defaults are tightened: the ID token's issuer and audience are checked (the
    library skips audience), only RS256 is accepted, and the claims come from the verified ID
    token rather than the userinfo endpoint, because Cognito's userinfo has no `cognito:groups`.
    """

    def get_payload_data(self, token: bytes | str, key: Any) -> dict[str, Any]:
        # The library would honour OIDC_ALLOW_UNSECURED_JWT (alg none); we never do.
        try:
            rs256_header(token)
        except jwt.InvalidAlgorithmError as exc:
            raise SuspiciousOperation("ID token algorithm not accepted") from exc
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation("malformed ID token") from exc
        try:
            return rs256_decode(
                token,
                key=key,
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.COGNITO_JWT_LEEWAY_SECONDS,
                require=("exp", "iat", "iss", "aud", "sub"),
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc

    def retrieve_matching_jwk(self, token: bytes | str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        try:
            key = jwks_signing_key(url=self.OIDC_OP_JWKS_ENDPOINT, kid=str(kid))
        except JwksUnavailable as exc:
            raise SuspiciousOperation(str(exc)) from exc
        if key is None:
            raise SuspiciousOperation("ID token signed with an unknown key")
        return key

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # Cognito marks ID tokens `token_use: id`; an access token must never stand in for one.
        return bool(claims.get("sub")) and claims.get("token_use", "id") == "id"

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        raise NotImplementedError("users are matched by sub in get_or_create_user, never by e-mail")

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("ID token claims not accepted")
        user = user_from_claims(issuer=settings.OIDC_OP_ISSUER, claims=claims)
        # On every sign-in and every session refresh, so a group removed at the provider is
        # removed here at the next refresh.
        user_roles_sync(user=user, groups=claims.get("cognito:groups") or ())
        return user


class BreakGlassBackend(ModelBackend):
    """Password sign-in for local superusers only (break-glass when the provider is down)."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not user.is_superuser:
            return None
        logger.warning("auth.break_glass_sign_in user_id=%s", user.pk)
        return user
