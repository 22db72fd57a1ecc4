"""What the session and seat services refuse with, carrying the original game's messages and codes."""

from __future__ import annotations

from alienportal.errors import Refused


class SessionError(Refused):
    """A manager's session request that cannot be done (the message says why, for the screen)."""


class SeatRefused(Refused):
    """A seat request the game rules refuse, with the message and code the original game answered."""


class SessionPublishFailed(Exception):
    """SSM did not take the current session; the publication stays pending and is retried."""


class SessionPublishBusy(Exception):
    """Another worker is publishing right now; try again shortly."""
