"""Reads of game sessions, for the apps that depend on `sessions`."""

from __future__ import annotations

from collections.abc import Iterable

from sessions.models import GameSession


def session_map(*, session_ids: Iterable[str]) -> dict[str, GameSession]:
    """Return the sessions among `session_ids` by session id, in one query (unknown ids are absent)."""
    ids = set(session_ids)
    if not ids:
        return {}
    return {session.session_id: session for session in GameSession.objects.filter(session_id__in=ids)}
