"""DRF authentication with Cognito bearer tokens: `request.auth` is the verified claims dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from alienportal.auth.tokens import TokenPolicy, TokenRejected, api_tokens, token_client_id, token_verify


@dataclass(frozen=True)
class TokenCaller:
    """The caller behind a verified token: a person (player, manager) or an app client.

    It is deliberately not a Django user: a token grants what its claims say (groups, scopes)
    and nothing from the Django permission tables, so `has_perm` is always False.
    """

    sub: str
    username: str
    client_id: str
    cognito_groups: tuple[str, ...] = field(default=())
    pk: None = None
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def groups(self) -> Any:
        # A token's roles are its `cognito:groups` claim (alienportal.access.roles_of reads
        # it); the caller belongs to no Django group.
        from django.contrib.auth.models import Group

        return Group.objects.none()

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username or self.client_id


def token_caller(claims: dict[str, Any]) -> TokenCaller:
    """Build the caller of verified claims."""
    username = str(claims.get("cognito:username") or claims.get("username") or "")
    return TokenCaller(
        sub=str(claims["sub"]),
        username=username,
        client_id=token_client_id(claims),
        cognito_groups=tuple(str(group) for group in claims.get("cognito:groups") or ()),
    )


def _view_token_api(request: Request) -> str | None:
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return getattr(view, "token_api", None)


def _looks_like_jwt(value: bytes) -> bool:
    parts = value.split(b".")
    return len(parts) == 3 and all(parts[:2])


class CognitoJWTAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <Cognito JWT>`; no header means "not this scheme".

    Which app clients and token uses are accepted is the API's (the view's `token_api`, see
    alienportal.auth.tokens.API_TOKENS). An API that allows it (the game API, as the original
    game's authorizer did) also takes the bare token, `Authorization: <JWT>`.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[TokenCaller, dict[str, Any]] | None:
        header = get_authorization_header(request).split()
        api = _view_token_api(request)
        if len(header) == 1 and api and api_tokens(api).bare_token and _looks_like_jwt(header[0]):
            token = header[0]
        elif not header or header[0].lower() != self.keyword:
            return None
        elif len(header) != 2:
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        else:
            token = header[1]
        try:
            claims = token_verify(token.decode("ascii"), policy=TokenPolicy.from_settings(api=api))
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("malformed token") from exc
        except TokenRejected as exc:
            raise AuthenticationFailed(str(exc)) from exc
        return token_caller(claims), claims

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated calls, with the scheme to use.
        return 'Bearer realm="alienportal"'
