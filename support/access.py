"""Who may work tickets and who may change the desk's settings, read from the one access policy."""

from __future__ import annotations

from typing import Any

from alienportal.roles import Role


def _roles(actor: Any) -> frozenset[str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return frozenset()
    groups = getattr(actor, "cognito_groups", None)
    if groups is not None:  # a token caller: its roles are the token's groups
        return frozenset(groups)
    return frozenset(actor.groups.values_list("name", flat=True))


def may_work_tickets(actor: Any) -> bool:
    """Support and managers (and local superusers) work tickets."""
    if getattr(actor, "is_superuser", False):
        return True
    return bool(_roles(actor) & {Role.SUPPORT, Role.MANAGERS})


def may_configure_support(actor: Any) -> bool:
    """Only managers (and local superusers) change SLA targets and cheat-rule settings."""
    if getattr(actor, "is_superuser", False):
        return True
    return Role.MANAGERS in _roles(actor)


def player_nickname(actor: Any) -> str | None:
    """Return the nickname a player acts as (their Cognito username), None for anyone else."""
    if Role.PLAYERS not in _roles(actor):
        return None
    return str(getattr(actor, "username", "") or "") or None
