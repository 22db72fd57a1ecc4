"""The "Records not counted" section of a game session's admin page (registered through sessions.panels).

A record stamped after its session closed is discarded and only counted; one that names the
session but cannot be used becomes a dead letter. Both used to be visible only in counters and
the dead-letter list: a manager looking at the session saw "No scores yet." and nothing else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from alienportal.access import Capability, can
from scoreboard.admin import payload_text
from scoreboard.selectors.discards import session_losses
from sessions.models import GameSession


def session_losses_panel(request: HttpRequest, session: GameSession) -> SafeString | None:
    """Render the session's discards and dead letters (counts, latest examples, a link to them all)."""
    losses = session_losses(session=session)
    letters_url = None
    if losses.dead_letters and can(request, Capability.VIEW_HEALTH):  # who may read the dead-letter list
        query = urlencode({"session_id__exact": session.session_id})
        letters_url = f"{reverse('admin:scoreboard_deadletter_changelist')}?{query}"
    examples = [
        {"example": example, "text": payload_text(example.preview), "cut": example.data_length > len(example.preview)}
        for example in losses.latest
    ]
    html = render_to_string(
        "admin/scoreboard/session_losses.html",
        {"losses": losses, "examples": examples, "letters_url": letters_url, "session": session},
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - a template's output: every value in it is escaped by the template
