"""The one ranking order as a sortable key, and its Redis sorted-set index for O(log N) ranks.

PostgreSQL stays the source of truth. Each session has a Redis sorted set whose members are
the players' `rank_key`s, all with score 0, so Redis orders them bytewise (ZRANK is O(log N)),
exactly as PostgreSQL orders `rank_key COLLATE "C"`. A hash maps each nickname to the
standing's revision and current key, so that applying a committed change is idempotent and
monotonic: an older revision arriving after a newer one (two workers' on-commit hooks racing)
is ignored.

The index's upkeep lives here too: rebuilding a session from PostgreSQL, syncing committed
changes (the drain calls `ranking_sync` after each commit), recovering after a crash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings

from alienportal.redis_clients import redis_at, redis_client
from scoreboard.models import Standing
from scoreboard.stream.records import INT_BOUNDS

logger = logging.getLogger(__name__)

SCORE_MAX = INT_BOUNDS["Score"][1]
LIVES_MAX = INT_BOUNDS["Lives"][1]
SCORE_DIGITS = len(str(SCORE_MAX))
LIVES_DIGITS = len(str(LIVES_MAX))
SHOTS_DIGITS = len(str(INT_BOUNDS["Shots"][1]))


def rank_key(*, score: int, lives: int, shots: int, nickname: str) -> str:
    """Encode the ranking order (Score desc, Lives desc, Shots asc, Nickname asc) as one string.

    Fixed-width digits make byte order equal numeric order; subtracting from the maximum turns
    descending into ascending. Nicknames compare by code point, which is UTF-8 byte order, so
    Python, PostgreSQL's "C" collation, SQLite and Redis agree.
    """
    # Literal widths (checked against the bounds below): a nested width is a format spec built per call.
    return f"{SCORE_MAX - score:016d}{LIVES_MAX - lives:04d}{shots:010d}{nickname}"


if (SCORE_DIGITS, LIVES_DIGITS, SHOTS_DIGITS) != (16, 4, 10):  # pragma: no cover - bounds changed
    raise ImportError("rank_key's literal widths no longer match INT_BOUNDS")


class RankingChange(NamedTuple):
    """A committed standing change, enough to move the player in the sorted set.

    A named tuple: the drain builds one per changed standing (0.3 us, a frozen dataclass 1.3).
    """

    session_pk: int
    nickname: str
    revision: int
    rank_key: str


def _keys(session_pk: int) -> tuple[str, str, str]:
    base = f"{settings.APP_NAME}:ranking:{session_pk}"
    return f"{base}:keys", f"{base}:players", f"{base}:ready"


def _hidden_key(session_pk: int) -> str:
    # Players support hid from the rankings (Standing.hidden): kept out of the sorted set.
    return f"{settings.APP_NAME}:ranking:{session_pk}:hidden"


# KEYS: sorted set, players hash. ARGV[1]: "nickname\trevision\tkey\n" lines (one argument: cheap
# to send; nicknames are printable, so they hold neither tab nor newline).
_APPLY_LUA = r"""
for nickname, revision, key in string.gmatch(ARGV[1], '([^\t]+)\t([^\t]+)\t([^\n]+)\n') do
  local old = redis.call('HGET', KEYS[2], nickname)
  local apply = true
  if old then
    local sep = string.find(old, ':', 1, true)
    if tonumber(string.sub(old, 1, sep - 1)) >= tonumber(revision) then
      apply = false
    else
      redis.call('ZREM', KEYS[1], string.sub(old, sep + 1))
    end
  end
  if apply then
    if redis.call('SISMEMBER', KEYS[3], nickname) == 0 then
      redis.call('ZADD', KEYS[1], 0, key)
    end
    redis.call('HSET', KEYS[2], nickname, revision .. ':' .. key)
  end
end
return 1
"""

# KEYS: sorted set, players hash, hidden set. ARGV[1]: nickname, ARGV[2]: "1" hide / "0" show. The
# set and the sorted set change together, so a batch's apply racing a hide never re-adds the player.
_VISIBILITY_LUA = r"""
local old = redis.call('HGET', KEYS[2], ARGV[1])
local key = nil
if old then key = string.sub(old, string.find(old, ':', 1, true) + 1) end
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[3], ARGV[1])
  if key then redis.call('ZREM', KEYS[1], key) end
else
  redis.call('SREM', KEYS[3], ARGV[1])
  if key then redis.call('ZADD', KEYS[1], 0, key) end
end
return 1
"""


@cache
def _apply_script(url: str) -> Any:
    return redis_at(url).register_script(_APPLY_LUA)


def ranking_apply(*, changes: Iterable[RankingChange], chunk: int = 3000) -> None:
    """Move the changed players in their sessions' sorted sets (idempotent, newest revision wins)."""
    by_session: dict[int, list[RankingChange]] = {}
    for change in changes:
        by_session.setdefault(change.session_pk, []).append(change)
    script = _apply_script(settings.REDIS_URL)
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    for session_pk, items in by_session.items():
        zset, players, _ = _keys(session_pk)
        for start in range(0, len(items), chunk):
            lines = "".join(
                f"{change.nickname}\t{change.revision}\t{change.rank_key}\n" for change in items[start : start + chunk]
            )
            script(keys=[zset, players, _hidden_key(session_pk)], args=[lines], client=pipe)
    pipe.execute()


def ranking_visibility_set(*, session_pk: int, nickname: str, hidden: bool) -> None:
    """Take a player out of the session's sorted set (hidden) or put them back at their current key."""
    zset, players, _ = _keys(session_pk)
    redis_client().eval(_VISIBILITY_LUA, 3, zset, players, _hidden_key(session_pk), nickname, "1" if hidden else "0")


def ranking_is_ready(*, session_pk: int) -> bool:
    return bool(redis_client().exists(_keys(session_pk)[2]))


def ranking_mark_ready(*, session_pk: int) -> None:
    redis_client().set(_keys(session_pk)[2], "1")


def ranking_rank(*, session_pk: int, key: str) -> int | None:
    """Return the 0-based position of `key` in the session's sorted set, None when absent."""
    position = redis_client().zrank(_keys(session_pk)[0], key)
    return None if position is None else int(position)  # type: ignore[arg-type]  # sync client


def ranking_keys_between(*, session_pk: int, first: int, last: int) -> list[str]:
    """Return the keys at 0-based positions first..last of the session's sorted set (ZRANGE, O(log N + M))."""
    keys: list[bytes] = redis_client().zrange(_keys(session_pk)[0], first, last)  # type: ignore[assignment]
    return [key.decode() for key in keys]


def ranking_count(*, session_pk: int) -> int:
    return int(redis_client().zcard(_keys(session_pk)[0]))  # type: ignore[arg-type]  # sync client


# One round trip each for the reports API's windows (a pipeline, not a transaction: the index may
# move between the reads, as it may between the PostgreSQL read that follows and these).


def ranking_window_keys(*, session_pk: int, first: int, last: int) -> tuple[list[str], int] | None:
    """Return the keys at 0-based positions first..last and the player count; None when the index is not ready."""
    keys, ready = _keys(session_pk)[0], _keys(session_pk)[2]
    pipe = redis_client().pipeline(transaction=False)
    pipe.exists(ready)
    pipe.zrange(keys, first, last)
    pipe.zcard(keys)
    is_ready, members, count = pipe.execute()
    if not is_ready:
        return None
    return [member.decode() for member in members], int(count)


def ranking_rank_count(*, session_pk: int, key: str) -> tuple[int, int] | None:
    """Return the 0-based position of `key` and the player count; None when the index is not ready or lacks `key`."""
    keys, ready = _keys(session_pk)[0], _keys(session_pk)[2]
    pipe = redis_client().pipeline(transaction=False)
    pipe.exists(ready)
    pipe.zrank(keys, key)
    pipe.zcard(keys)
    is_ready, position, count = pipe.execute()
    if not is_ready or position is None:
        return None
    return int(position), int(count)


# --- Crash window between the database commit and the Redis update ----------------------------
# A worker writes the batch's changed players under a per-shard "pending" key before it
# commits and deletes it after Redis is updated. The next holder of the shard's lease re-reads
# those players from PostgreSQL and applies them, so a kill between commit and ZADD cannot
# leave the index behind. Re-applying is harmless (revisions make it idempotent).


def _pending_key(*, stream_name: str, shard_id: str) -> str:
    return f"{settings.APP_NAME}:ranking-pending:{stream_name}:{shard_id}"


def ranking_pending_set(*, stream_name: str, shard_id: str, players: Sequence[tuple[int, str]]) -> None:
    redis_client().set(_pending_key(stream_name=stream_name, shard_id=shard_id), json.dumps(players))


def ranking_pending_clear(*, stream_name: str, shard_id: str) -> None:
    redis_client().delete(_pending_key(stream_name=stream_name, shard_id=shard_id))


def ranking_pending_get(*, stream_name: str, shard_id: str) -> list[tuple[int, str]]:
    raw: bytes | None = redis_client().get(_pending_key(stream_name=stream_name, shard_id=shard_id))  # type: ignore[assignment]
    return [(int(pk), str(name)) for pk, name in json.loads(raw)] if raw else []


# --- Upkeep: the index follows PostgreSQL -----------------------------------------------


def ranking_rebuild(*, session_pk: int, chunk: int = 20_000) -> int:
    """Load every standing of a session from PostgreSQL into its Redis index; return how many.

    Safe while batches commit: applying is monotonic per player (revision), so a change applied
    by a batch and the same or an older row read here converge on the newest.
    """
    count = 0
    batch: list[RankingChange] = []
    hidden = list(Standing.objects.filter(session_id=session_pk, hidden=True).values_list("nickname", flat=True))
    if hidden:
        redis_client().sadd(_hidden_key(session_pk), *hidden)
    rows = Standing.objects.filter(session_id=session_pk).values_list("nickname", "revision", "rank_key")
    for nickname, revision, key in rows.iterator(chunk_size=chunk):
        batch.append(RankingChange(session_pk=session_pk, nickname=nickname, revision=revision, rank_key=key))
        if len(batch) >= chunk:
            ranking_apply(changes=batch)
            count += len(batch)
            batch = []
    ranking_apply(changes=batch)
    ranking_mark_ready(session_pk=session_pk)
    return count + len(batch)


def ranking_sync(*, changes: list[RankingChange]) -> None:
    """Apply committed standing changes to the index; build a session's index first if it has none."""
    sessions = {change.session_pk for change in changes}
    missing = {session_pk for session_pk in sessions if not ranking_is_ready(session_pk=session_pk)}
    for session_pk in missing:
        # The whole session from PostgreSQL, which already holds this batch.
        ranking_rebuild(session_pk=session_pk)
    ranking_apply(changes=[change for change in changes if change.session_pk not in missing])


def ranking_recover(*, stream_name: str, shard_id: str) -> int:
    """Re-apply the players of a batch whose holder died between commit and the index update."""
    pending = ranking_pending_get(stream_name=stream_name, shard_id=shard_id)
    if not pending:
        return 0
    by_session: dict[int, list[str]] = {}
    for session_pk, nickname in pending:
        by_session.setdefault(session_pk, []).append(nickname)
    changes: list[RankingChange] = []
    for session_pk, nicknames in by_session.items():
        rows = Standing.objects.filter(session_id=session_pk, nickname__in=nicknames).values_list(
            "nickname", "revision", "rank_key"
        )
        changes.extend(RankingChange(session_pk, nickname, revision, key) for nickname, revision, key in rows)
    ranking_sync(changes=changes)
    ranking_pending_clear(stream_name=stream_name, shard_id=shard_id)
    logger.info("ranking_recovered stream=%s shard=%s players=%d", stream_name, shard_id, len(changes))
    return len(changes)


def ranking_index_read(*, session_pk: int) -> tuple[dict[str, str], list[str]]:
    """Return a session's whole index as it stands: nickname -> rank key (hash), and the sorted set's keys.

    For reconciliation, which compares the index with PostgreSQL; the two should name the same keys.
    """
    zset, players, _ = _keys(session_pk)
    client = redis_client()
    raw: dict[bytes, bytes] = client.hgetall(players)  # type: ignore[assignment]  # sync client
    by_player = {name.decode(): value.decode().split(":", 1)[1] for name, value in raw.items()}
    members: list[bytes] = client.zrange(zset, 0, -1)  # type: ignore[assignment]  # sync client
    return by_player, [member.decode() for member in members]
