"""Writes to game sessions, their seats and their SSM publication (one module per concern)."""

from sessions.services.errors import SeatRefused, SessionError, SessionPublishBusy, SessionPublishFailed
from sessions.services.lifecycle import session_close, session_open, session_start, sessions_close_expired
from sessions.services.publishing import session_publish, session_publish_queue, session_republish
from sessions.services.seats import (
    SeatOutcome,
    seat_allocate,
    seat_deallocate,
    seat_extra_game_grant,
    seat_extra_game_revoke,
    seat_release,
    seats_release_finished,
)

__all__ = [
    "SeatOutcome",
    "SeatRefused",
    "SessionError",
    "SessionPublishBusy",
    "SessionPublishFailed",
    "seat_allocate",
    "seat_deallocate",
    "seat_extra_game_grant",
    "seat_extra_game_revoke",
    "seat_release",
    "seats_release_finished",
    "session_close",
    "session_open",
    "session_publish",
    "session_publish_queue",
    "session_republish",
    "session_start",
    "sessions_close_expired",
]
