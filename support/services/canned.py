"""Canned replies: a text with {placeholders} filled from the ticket's own fields."""

from __future__ import annotations

import re

from support.errors import Invalid
from support.models import CannedReply, Ticket

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = ("nickname", "ticket", "subject", "session", "category", "priority", "status", "assignee")


def _values(ticket: Ticket) -> dict[str, str]:
    return {
        "nickname": ticket.nickname,
        "ticket": f"#{ticket.pk}",
        "subject": ticket.subject,
        "session": ticket.session.session_id if ticket.session is not None else "",
        "category": ticket.get_category_display(),
        "priority": ticket.get_priority_display(),
        "status": ticket.get_status_display(),
        "assignee": ticket.assignee.get_username() if ticket.assignee is not None else "the support team",
    }


def canned_body_check(*, body: str) -> None:
    """Refuse a canned text naming a placeholder the desk cannot fill."""
    unknown = sorted({name for name in PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        raise Invalid(
            f"Unknown placeholder(s): {', '.join('{' + n + '}' for n in unknown)}. "
            f"Use {', '.join('{' + n + '}' for n in PLACEHOLDERS)}.",
            code="UnknownPlaceholder",
        )


def canned_reply_render(*, canned: CannedReply, ticket: Ticket) -> str:
    """Return the canned text with the ticket's fields in place of its placeholders."""
    # A fixed table and a plain substitution, never str.format: a template must not be able
    # to reach attributes of the objects behind the values.
    values = _values(ticket)
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), canned.body)
