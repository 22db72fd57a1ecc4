"""The hook through which the standings (in `scoreboard`) show a session's live top X here.

`sessions` knows nothing of standings (DESIGN.md: apps depend one way), so the app that keeps
them registers a provider from its `AppConfig.ready()`; until one is registered the screens
say the standings are not available.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sessions.models import GameSession

# Given a session and X, return its top X rows in ranking order, each with at least
# "Nickname", "Score", "Lives", "Shots" (the record's field names).
TopXProvider = Callable[[GameSession, int], Sequence[Mapping[str, Any]]]

_provider: TopXProvider | None = None


def top_x_provider_register(provider: TopXProvider | None) -> None:
    """Make `provider` the source of every session's top X (None unregisters it)."""
    global _provider  # one process-wide provider, set once at start-up
    _provider = provider


def top_x_provider_current() -> TopXProvider | None:
    """Return the registered provider (tests put it back after replacing it)."""
    return _provider


def session_top_x(*, session: GameSession) -> list[Mapping[str, Any]] | None:
    """Return the session's live top X in ranking order, or None when no standings provider exists."""
    if _provider is None:
        return None
    return list(_provider(session, session.top_x))
