"""Writes of the support desk: tickets and their thread, SLA clocks, canned replies."""

from support.services.canned import canned_reply_render
from support.services.tickets import (
    TRANSITIONS,
    ticket_assign,
    ticket_note,
    ticket_open,
    ticket_player_reply,
    ticket_reply,
    ticket_transition,
    ticket_update,
)

__all__ = [
    "TRANSITIONS",
    "canned_reply_render",
    "ticket_assign",
    "ticket_note",
    "ticket_open",
    "ticket_player_reply",
    "ticket_reply",
    "ticket_transition",
    "ticket_update",
]
