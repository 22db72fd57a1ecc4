"""The one access policy: the portal's roles, what each may do (capabilities), and who the caller is.

The admin, the APIs, the dashboards and the querysets ask `can(actor, Capability.X)`; nothing
else names a role to decide an access. A new capability is one edit here: add it to
`Capability`, to the roles in `ROLE_CAPABILITIES`, and (when the admin needs Django model
permissions for it) to `CAPABILITY_PERMISSIONS`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """The Cognito groups the portal knows; any other group is ignored."""

    MANAGERS = "Managers"
    SUPPORT = "Support"
    PLAYERS = "Players"


class Capability(StrEnum):
    PLAY_GAME = "play_game"
    # Seat, free and post statuses for any player through the game API (players: only themselves).
    PLAY_AS_ANYONE = "play_as_anyone"
    RUN_SESSIONS = "run_sessions"
    RELEASE_SEATS = "release_seats"
    LOOK_UP_PLAYERS = "look_up_players"
    VIEW_RANKINGS = "view_rankings"
    VIEW_HISTORY = "view_history"
    VIEW_HEALTH = "view_health"
    READ_REPORTS = "read_reports"
    REPLAY_DEAD_LETTERS = "replay_dead_letters"
    WORK_TICKETS = "work_tickets"
    CONFIGURE_SUPPORT = "configure_support"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_COSTS = "view_costs"  # the cost and capacity dashboard: managers only


# What the portal's pages offer; playing (as oneself or for anyone) is the game's, not the portal's.
PORTAL_CAPABILITIES = frozenset(Capability) - {Capability.PLAY_GAME, Capability.PLAY_AS_ANYONE}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    # Managers may do everything, playing included: they try the game before opening it to players.
    Role.MANAGERS: frozenset(Capability),
    # No session control, no dead-letter replay, no support configuration.
    Role.SUPPORT: frozenset(
        {
            Capability.RELEASE_SEATS,
            Capability.LOOK_UP_PLAYERS,
            Capability.VIEW_RANKINGS,
            Capability.VIEW_HISTORY,
            Capability.VIEW_HEALTH,
            Capability.READ_REPORTS,
            Capability.WORK_TICKETS,
        }
    ),
    # The game API only; never a portal page.
    Role.PLAYERS: frozenset({Capability.PLAY_GAME}),
}

# The Django model permissions ("<app_label>.<codename>") a capability needs in the admin. A role
# that holds every portal capability gets every model permission (see alienportal.auth.services).
# Codenames of apps not installed yet are skipped and attach on the next role sync once they exist.
CAPABILITY_PERMISSIONS: dict[Capability, frozenset[str]] = {
    Capability.WORK_TICKETS: frozenset({"support.view_ticket", "support.add_ticket", "support.change_ticket"}),
    Capability.LOOK_UP_PLAYERS: frozenset(
        {"game_sessions.view_gamesession", "game_sessions.view_seat", "scoreboard.view_standing"}
    ),
    Capability.RELEASE_SEATS: frozenset({"game_sessions.change_seat"}),
}

# The OAuth scope of REST clients that read reports (the reports API's READ_REPORTS for app clients):
# Cognito names it `<resource server>/<scope name>`; provisioning creates both parts.
REPORTS_RESOURCE_SERVER = "reports"
REPORTS_READ_SCOPE_NAME = "read"
REPORTS_READ_SCOPE = f"{REPORTS_RESOURCE_SERVER}/{REPORTS_READ_SCOPE_NAME}"

# Roles that may use the portal's pages: those with any portal capability (never Players alone).
PORTAL_ROLES = frozenset(role for role, capabilities in ROLE_CAPABILITIES.items() if capabilities & PORTAL_CAPABILITIES)


def roles_from_groups(groups: Any) -> frozenset[Role]:
    """Return the portal roles among group names; unknown groups are ignored."""
    return frozenset(Role(str(name)) for name in groups or () if str(name) in Role._value2member_map_)


def _user_of(actor: Any) -> Any:
    # A request (Django's or DRF's) carries the user; anything else is taken to be the user.
    return actor.user if hasattr(actor, "user") and hasattr(actor, "META") else actor


def roles_of(actor: Any) -> frozenset[Role]:
    """Return the caller's roles: a verified token's `cognito:groups`, else the user's Django groups.

    `actor` is an HttpRequest, a DRF Request, or a user (a TokenCaller included).
    """
    claims = getattr(actor, "auth", None) if hasattr(actor, "META") else None
    if isinstance(claims, dict) and "cognito:groups" in claims:
        return roles_from_groups(claims.get("cognito:groups"))
    user = _user_of(actor)
    if user is None or not user.is_authenticated:
        return frozenset()
    token_groups = getattr(user, "cognito_groups", None)
    if token_groups is not None:
        return roles_from_groups(token_groups)
    return roles_from_groups(user.groups.values_list("name", flat=True))


def capabilities_of(actor: Any) -> frozenset[Capability]:
    """Return everything the caller may do: their roles' capabilities; a local superuser's portal ones."""
    user = _user_of(actor)
    granted: frozenset[Capability] = frozenset()
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        # Local superusers are break-glass accounts for the portal; they have no game identity.
        granted = PORTAL_CAPABILITIES
    for role in roles_of(actor):
        granted |= ROLE_CAPABILITIES[role]
    return granted


def can(actor: Any, capability: Capability) -> bool:
    """Tell whether the caller (request or user) may do `capability`."""
    return capability in capabilities_of(actor)


def has_portal_access(user: Any) -> bool:
    """Tell whether a signed-in user may see portal pages: a local superuser, a manager or support."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(roles_of(user) & PORTAL_ROLES)
