"""After a batch commits: the Redis rank index and the live updates the dashboards poll.

Neither may fail a committed batch: a lost live message costs one refresh, and the rank index
is repaired from PostgreSQL by the next lease holder (the pending key written before the commit).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction

from scoreboard.live import live_revision_key
from scoreboard.ranking import RankingChange, ranking_pending_clear, ranking_pending_set, ranking_sync, redis_client
from sessions.models import GameSession

logger = logging.getLogger(__name__)


def live_publish_on_commit(*, changed: Sequence[tuple], sessions: dict[int, GameSession]) -> None:
    if not changed:
        return
    by_session: dict[int, list[str]] = {}
    for session_pk, nickname, *_ in changed:
        by_session.setdefault(session_pk, []).append(nickname)
    messages = [(sessions[pk].session_id, names) for pk, names in by_session.items()]
    transaction.on_commit(lambda: live_publish(messages=messages))


def live_channel(session_id: str) -> str:
    """Return the Redis pub/sub channel on which a session's changed standings are published."""
    return f"{settings.APP_NAME}:scoreboard:{session_id}"


def live_publish(*, messages: Iterable[tuple[str, list[str]]]) -> None:
    """Publish the changed players of each session (after commit; a lost message costs one refresh)."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        for session_id, nicknames in messages:
            pipe.incr(live_revision_key(session_id))  # what the live dashboards poll (scoreboard/live.py)
            pipe.publish(live_channel(session_id), json.dumps({"session_id": session_id, "nicknames": nicknames}))
        pipe.execute()
    except Exception:  # Redis down must never fail a committed batch
        logger.warning("live_publish_failed", exc_info=True)


def ranking_after_commit(*, changes: list[RankingChange], stream_name: str, shard_id: str) -> None:
    if not changes:
        return
    players = [(change.session_pk, change.nickname) for change in changes]
    # Before the commit: if we die between commit and the Redis update, the next lease holder
    # finds this key and re-applies these players from PostgreSQL.
    ranking_pending_set(stream_name=stream_name, shard_id=shard_id, players=players)

    def apply() -> None:
        try:
            ranking_sync(changes=changes)
            ranking_pending_clear(stream_name=stream_name, shard_id=shard_id)
        except Exception:  # the pending key stays; the next lease holder repairs the index
            logger.warning("ranking_sync_failed stream=%s shard=%s", stream_name, shard_id, exc_info=True)

    transaction.on_commit(apply)
