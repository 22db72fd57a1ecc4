"""What the drain derives from the stream, as comparable values, and ways to drop and check it."""

from __future__ import annotations

from alienportal.redis_clients import redis_client
from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, Standing
from scoreboard.selectors import ranking_player_rank
from sessions.models import GameSession

SESSION_ID = "X261127T130000"
OTHER_ID = "X261127T130500"


def live_result() -> dict:  # type: ignore[type-arg]
    """Everything the drain derives from the stream, as comparable values."""
    return {
        "standings": {
            (row.session.session_id, row.nickname): (row.score, row.lives, row.shots, row.level, row.rank_key)
            for row in Standing.objects.select_related("session")
        },
        "events": sorted(
            ScoreEvent.objects.values_list("shard_id", "sequence_number", "session__session_id", "nickname", "score")
        ),
        "dead_letters": sorted(
            (row.shard_id, int(row.sequence_number), bytes(row.data), row.reason, row.session_id)
            for row in DeadLetter.objects.all()
        ),
        "discards": dict(SessionDiscards.objects.values_list("session__session_id", "after_closing")),
    }


def scoreboard_drop() -> None:
    """What the stream built goes; the sessions (managers' input, not the stream's) stay."""
    ScoreEvent.objects.all().delete()
    Standing.objects.all().delete()
    DeadLetter.objects.all().delete()
    SessionDiscards.objects.all().delete()
    redis_client().flushdb()


def assert_index_ranks(session: GameSession) -> None:
    names = Standing.objects.filter(session=session).order_by("rank_key").values_list("nickname", flat=True)
    assert [ranking_player_rank(session=session, nickname=name) for name in names] == list(range(1, len(names) + 1))
