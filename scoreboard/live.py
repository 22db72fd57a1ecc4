"""The live ranking's change signal: a per-session revision in Redis, bumped after each committed batch.

Dashboards poll it a few times a second and re-read the ranking only when it moved, so an idle
screen costs one Redis GET per tick and never touches PostgreSQL's standings.
"""

from __future__ import annotations

import logging

from django.conf import settings
from redis.exceptions import RedisError

from alienportal.redis_clients import redis_client
from sessions.models import GameSession

logger = logging.getLogger(__name__)


def live_revision_key(session_id: str) -> str:
    """Return the Redis key of a session's standings revision (INCR'd with each live publish)."""
    return f"{settings.APP_NAME}:scoreboard:{session_id}:revision"


def live_revision(*, session: GameSession) -> int | None:
    """Return the session's standings revision (0 before any batch); None when Redis cannot say.

    Callers treat None as "changed": without Redis the dashboard falls back to re-reading.
    """
    try:
        raw = redis_client().get(live_revision_key(session.session_id))
    except RedisError:
        logger.warning("live_revision_unavailable session=%s", session.session_id)
        return None
    return int(raw) if raw is not None else 0  # type: ignore[arg-type]  # sync client
