"""The hook through which other apps add a section to a game session's admin page.

`sessions` knows nothing of standings, discards or dead letters (DESIGN.md: apps depend one
way), so the app that keeps them registers a panel from its `AppConfig.ready()`: a function of
the request and the session returning the section's HTML (already escaped), or None to show none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString

from sessions.models import GameSession

SessionPanelBody = Callable[[HttpRequest, GameSession], SafeString | None]


@dataclass(frozen=True)
class SessionPanel:
    key: str
    title: str
    body: SessionPanelBody


_panels: dict[str, SessionPanel] = {}


def session_panel_register(*, key: str, title: str, body: SessionPanelBody) -> None:
    """Show `body` under `title` on every session's page; registering the same key again replaces it."""
    _panels[key] = SessionPanel(key=key, title=title, body=body)


def session_panel_unregister(*, key: str) -> SessionPanel | None:
    """Remove the panel (tests put it back after replacing it); return what was registered."""
    return _panels.pop(key, None)


def session_panels_render(*, request: HttpRequest, session: GameSession) -> list[tuple[str, str, SafeString]]:
    """Return (key, title, html) of every registered panel that has something to show, in registration order."""
    rendered = []
    for panel in _panels.values():
        html = panel.body(request, session)
        if html is not None:
            rendered.append((panel.key, panel.title, html))
    return rendered
