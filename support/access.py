"""Who may work tickets and who may change the desk's settings, read from the one access policy."""

from __future__ import annotations

from typing import Any

from alienportal.access import Capability, can


def may_work_tickets(actor: Any) -> bool:
    """Support and managers (and local superusers) work tickets."""
    return can(actor, Capability.WORK_TICKETS)


def may_configure_support(actor: Any) -> bool:
    """Only managers (and local superusers) change SLA targets, canned replies and cheat-rule settings."""
    return can(actor, Capability.CONFIGURE_SUPPORT)


def player_nickname(actor: Any) -> str | None:
    """Return the nickname a game player acts as (their Cognito username), None for anyone else."""
    if not can(actor, Capability.PLAY_GAME):
        return None
    user = actor.user if hasattr(actor, "META") else actor
    return str(getattr(user, "username", "") or "") or None
