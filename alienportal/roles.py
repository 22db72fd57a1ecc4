"""The portal's roles (Cognito groups) and how a request's roles are read, in one place."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rest_framework.permissions import BasePermission


class Role(StrEnum):
    MANAGERS = "Managers"
    SUPPORT = "Support"
    PLAYERS = "Players"


def request_roles(request: Any) -> frozenset[str]:
    """Return the roles of the caller: from a verified token's `cognito:groups`, else the user's groups."""
    claims = getattr(request, "auth", None)
    if isinstance(claims, dict) and "cognito:groups" in claims:
        return frozenset(str(group) for group in claims.get("cognito:groups") or ())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(user.groups.values_list("name", flat=True))


class HasRole(BasePermission):
    """Allow callers in any of `roles`; compose with IsAuthenticated (`IsAuthenticated & ...`)."""

    roles: frozenset[str] = frozenset()
    message = "Your role does not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request_roles(request) & self.roles)


def role_permission(*roles: Role) -> type[HasRole]:
    """Return a permission class that admits the given roles, for `permission_classes`."""
    return type(f"Has{''.join(r.value for r in roles)}Role", (HasRole,), {"roles": frozenset(roles)})
