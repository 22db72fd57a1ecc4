"""What the sessions app offers on the portal's home page (alienportal.home)."""

from __future__ import annotations

from alienportal.access import Capability
from alienportal.home import PortalLink


def home_links() -> list[PortalLink]:
    return [
        PortalLink(
            "Game sessions",
            "Game sessions",
            "admin:game_sessions_gamesession_changelist",
            Capability.LOOK_UP_PLAYERS,
            "Every session: its seats, live top X, state in SSM and history.",
        ),
        PortalLink(
            "Game sessions",
            "Open a session",
            "admin:game_sessions_gamesession_add",
            Capability.RUN_SESSIONS,
            "Choose the game type, seats and top X; players can join at once.",
        ),
        PortalLink(
            "Game sessions",
            "Seats",
            "admin:game_sessions_seat_changelist",
            Capability.LOOK_UP_PLAYERS,
            "Find a player's seat; free one a crashed game kept.",
        ),
    ]
