"""What the session and seat services refuse with, carrying the original game's messages and codes."""

from __future__ import annotations


class SessionError(Exception):
    """A manager's session request that cannot be done (the message says why, for the screen)."""


class SeatRefused(Exception):
    """A seat request the game rules refuse: HTTP status, message and code as the original game answered."""

    def __init__(self, message: str, *, code: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class SessionPublishFailed(Exception):
    """SSM did not take the current session; the publication stays pending and is retried."""


class SessionPublishBusy(Exception):
    """Another worker is publishing right now; try again shortly."""
