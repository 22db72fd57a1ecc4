"""Who may use the portal, and DRF permissions on token scopes."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from alienportal.auth.tokens import token_scopes
from alienportal.roles import Role

REPORTS_READ_SCOPE = "reports/read"
# Roles that may use the portal's pages (the admin, dashboards); Players never may.
PORTAL_ROLES = frozenset({Role.MANAGERS, Role.SUPPORT})


def user_has_portal_access(user: Any) -> bool:
    """Tell whether a signed-in user may see portal pages: a local superuser, a manager or support."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=PORTAL_ROLES).exists()


class HasScope(BasePermission):
    """Allow token callers whose access token carries `scope`; compose: `IsAuthenticated & ...`."""

    scope: str = ""
    message = "The token lacks the scope this endpoint needs."

    def has_permission(self, request: Any, view: Any) -> bool:
        claims = getattr(request, "auth", None)
        return isinstance(claims, dict) and self.scope in token_scopes(claims)


def scope_permission(scope: str) -> type[HasScope]:
    """Return a permission class admitting tokens with `scope`, e.g. `scope_permission("reports/read")`."""
    name = "HasScope" + "".join(part.capitalize() for part in scope.replace("/", " ").replace(".", " ").split())
    return type(name, (HasScope,), {"scope": scope})


HasReportsReadScope = scope_permission(REPORTS_READ_SCOPE)
