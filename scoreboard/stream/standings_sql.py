"""The standings upsert in SQL: DESIGN.md's rule (scoreboard/games.py) as one INSERT ... ON CONFLICT.

Shared by both writers (writer_postgresql.py, writer_sqlite.py): they differ in how the new rows
reach the statement (a staging table, or one VALUES row per player), never in the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

STAGING_COLUMNS = (
    ("session_id", "bigint", "int8"),
    ("nickname", "text", "text"),
    ("score", "bigint", "int8"),
    ("lives", "integer", "int4"),
    ("shots", "bigint", "int8"),
    ("level", "integer", "int4"),
    ("event_time", "timestamptz", "timestamptz"),
    ("shard_id", "text", "text"),
    ("sequence_number", "numeric", "numeric"),
    # The player's first snapshot in the batch (in stream order): the cheat screen pairs it with
    # their standing (flags.FIRSTS_AGAINST_STANDINGS).
    ("first_of_player", "boolean", "bool"),
    ("rank_key", 'text COLLATE "C"', "text"),
)
STAGING_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS scoreboard_batch_staging ("
    + ", ".join(f"{name} {sql_type}" for name, sql_type, _ in STAGING_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
EVENT_COLUMNS = "session_id, nickname, score, lives, shots, level, event_time, shard_id, sequence_number"

# A standing holds three games (models.Standing): the current one (the latest snapshot), the
# best finished one (the best Lives-0 snapshot) and the ranked one (the better of the two).
# Each new row of the standings upsert carries the batch's newest and best finished snapshot
# of the player, in this column order; the conflict clause merges them with the stored games.
_CURRENT = ("current_score", "current_lives", "current_shots", "current_level", "current_rank_key")
_CURRENT_ORDER = ("event_time", "shard_id", "sequence_number")
_BEST = ("best_score", "best_shots", "best_level", "best_rank_key", "best_event_time", "best_shard_id")
_BEST_ORDER = ("best_rank_key", "best_event_time", "best_shard_id", "best_sequence_number")
_RANKED = ("score", "lives", "shots", "level", "rank_key")
STANDING_COLUMNS = (
    *("session_id", "nickname", *_CURRENT, *_CURRENT_ORDER, *_BEST, "best_sequence_number", *_RANKED),
    *("revision", "updated_at"),
)


def _tuple(prefix: str, columns: Sequence[str]) -> str:
    return "(" + ", ".join(f"{prefix}.{column}" for column in columns) + ")"


# The snapshot is newer than the current game (equal timestamps resolve on the record's shard
# and sequence number, so every replay picks the same winner) ...
_NEWER = f"{_tuple('excluded', _CURRENT_ORDER)} > {_tuple('s', _CURRENT_ORDER)}"
# ... or a finished game better than the best one (equal keys: the earliest snapshot).
_BETTER = (
    f"(excluded.best_rank_key IS NOT NULL AND (s.best_rank_key IS NULL"
    f" OR {_tuple('excluded', _BEST_ORDER)} < {_tuple('s', _BEST_ORDER)}))"
)


def _merged_current(column: str) -> str:
    return f"CASE WHEN {_NEWER} THEN excluded.{column} ELSE s.{column} END"


def _merged_best(column: str) -> str:
    return f"CASE WHEN {_BETTER} THEN excluded.{column} ELSE s.{column} END"


# The ranked game after the merge: the merged best finished game if it ranks before the merged
# current game (a NULL best compares as unknown: the current game ranks).
_BEST_RANKS = f"{_merged_best('best_rank_key')} < {_merged_current('current_rank_key')}"
_RANKED_FROM = dict(zip(_RANKED, ("best_score", None, "best_shots", "best_level", "best_rank_key"), strict=True))


def _merged_ranked(column: str, current: str) -> str:
    best = _RANKED_FROM[column]
    return f"CASE WHEN {_BEST_RANKS} THEN {_merged_best(best) if best else '0'} ELSE {_merged_current(current)} END"


STANDINGS_CONFLICT = (
    " ON CONFLICT (session_id, nickname) DO UPDATE SET "
    + ", ".join(
        [f"{column} = {_merged_current(column)}" for column in (*_CURRENT, *_CURRENT_ORDER)]
        + [f"{column} = {_merged_best(column)}" for column in (*_BEST, "best_sequence_number")]
        + [f"{column} = {_merged_ranked(column, current)}" for column, current in zip(_RANKED, _CURRENT, strict=True)]
        + ["revision = s.revision + 1", "updated_at = excluded.updated_at"]
    )
    + f" WHERE {_NEWER} OR {_BETTER}"
    # current_lives: a player whose current game ended frees their seat (batch_rows_write).
    + " RETURNING session_id, nickname, revision, rank_key, current_lives"
)
STANDINGS_FROM_STAGING = (
    f"INSERT INTO scoreboard_standing AS s ({', '.join(STANDING_COLUMNS)})"  # noqa: S608 - constant columns
    " SELECT n.session_id, n.nickname, n.score, n.lives, n.shots, n.level, n.rank_key,"
    " n.event_time, n.shard_id, n.sequence_number,"
    " b.score, b.shots, b.level, b.rank_key, b.event_time, b.shard_id, b.sequence_number,"
    " CASE WHEN b.rank_key < n.rank_key THEN b.score ELSE n.score END,"
    " CASE WHEN b.rank_key < n.rank_key THEN 0 ELSE n.lives END,"
    " CASE WHEN b.rank_key < n.rank_key THEN b.shots ELSE n.shots END,"
    " CASE WHEN b.rank_key < n.rank_key THEN b.level ELSE n.level END,"
    " CASE WHEN b.rank_key < n.rank_key THEN b.rank_key ELSE n.rank_key END,"
    " 1, %s"
    # Each player's newest snapshot of the batch (the batch is one shard, so the sequence
    # number breaks ties) ...
    " FROM (SELECT DISTINCT ON (session_id, nickname) * FROM scoreboard_batch_staging"
    " ORDER BY session_id, nickname, event_time DESC, sequence_number DESC) AS n"
    # ... and their best finished game of the batch, if any.
    " LEFT JOIN (SELECT DISTINCT ON (session_id, nickname) * FROM scoreboard_batch_staging WHERE lives = 0"
    " ORDER BY session_id, nickname, rank_key, event_time, sequence_number) AS b"
    " ON b.session_id = n.session_id AND b.nickname = n.nickname"
    # One lock order for every batch, (session, nickname): concurrent batches cannot deadlock.
    " ORDER BY n.session_id, n.nickname" + STANDINGS_CONFLICT
)
