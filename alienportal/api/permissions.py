"""DRF permissions: capabilities of the access policy, and token scopes of REST clients.

Compose them: `permission_classes = [IsAuthenticated & (Can(Capability.READ_REPORTS) | HasReportsReadScope)]`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from alienportal.access import REPORTS_READ_SCOPE, Capability, can
from alienportal.auth.tokens import token_scopes


class HasCapability(BasePermission):
    """Allow callers (session users and token callers alike) with any of `capabilities`."""

    capabilities: frozenset[Capability] = frozenset()
    message = "Your role does not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return any(can(request, capability) for capability in self.capabilities)


def Can(*capabilities: Capability) -> type[HasCapability]:
    """Return a permission class admitting callers with any of `capabilities`."""
    name = "Can" + "".join(part.capitalize() for c in capabilities for part in c.value.split("_"))
    return type(name, (HasCapability,), {"capabilities": frozenset(capabilities)})


class HasScope(BasePermission):
    """Allow token callers whose access token carries `scope`."""

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
