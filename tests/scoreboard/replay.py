"""An independent replay of what a stream holds: what the standings, counts and dead letters must be.

Written without the drain's code paths (only `snapshot_parse`, the record format's definition),
so a test comparing the database against it (`assert_matches_replay`) checks the drain, not itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alienportal.aws import aws_client
from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, ShardLease, Standing
from scoreboard.stream.records import RecordRejected, snapshot_parse


@dataclass
class Expected:
    events: int = 0
    dead_letters: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    standings: dict[tuple[str, str], tuple[int, int, int, int]] = field(default_factory=dict)
    last_sequence: dict[str, int] = field(default_factory=dict)
    records: int = 0


def stream_read_all(kinesis: Any, stream_name: str) -> dict[str, list[dict[str, Any]]]:
    """Return every record of every shard, in order."""
    result: dict[str, list[dict[str, Any]]] = {}
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend(response["Records"])
            if not response["Records"]:
                break
            iterator = response["NextShardIterator"]
        result[shard["ShardId"]] = records
    return result


def stream_replay(shards: dict[str, list[dict[str, Any]]], *, closing: dict[str, datetime | None]) -> Expected:
    """Replay the records; `closing` maps each known session id to its closing time."""
    expected = Expected()
    newest: dict[tuple[str, str], tuple[datetime, str, int, tuple[int, int, int, int]]] = {}
    finished: dict[tuple[str, str], list[tuple[int, int, int, int]]] = {}
    for shard_id, records in shards.items():
        for item in records:
            expected.records += 1
            sequence = int(item["SequenceNumber"])
            expected.last_sequence[shard_id] = max(expected.last_sequence.get(shard_id, 0), sequence)
            try:
                snapshot = snapshot_parse(item["Data"])
            except RecordRejected:
                expected.dead_letters += 1
                continue
            if snapshot.session_id not in closing:
                expected.dead_letters += 1
                continue
            closes = closing[snapshot.session_id]
            if closes is not None and snapshot.timestamp > closes:
                expected.discarded[snapshot.session_id] += 1
                continue
            expected.events += 1
            key = (snapshot.session_id, snapshot.nickname)
            candidate = (
                snapshot.timestamp,
                shard_id,
                sequence,
                (snapshot.score, snapshot.lives, snapshot.shots, snapshot.level),
            )
            if key not in newest or candidate[:3] > newest[key][:3]:
                newest[key] = candidate
            if snapshot.lives == 0:
                finished.setdefault(key, []).append(candidate[3])
    expected.standings = {key: _ranked(value[3], finished.get(key, []), key[1]) for key, value in newest.items()}
    return expected


def _ranked(current: tuple[int, int, int, int], finished: list[tuple[int, int, int, int]], nickname: str) -> tuple:
    """DESIGN.md: the better, in the ranking order, of the current game and the best finished one."""

    def order(game: tuple[int, int, int, int]) -> tuple:
        score, lives, shots, _level = game
        return (-score, -lives, shots, nickname)

    best = min(finished, key=order, default=None)
    return best if best is not None and order(best) < order(current) else current


def assert_matches_replay(stream: str, closing: dict[str, datetime]) -> None:
    """Every standing, event count, dead letter and discard equals an independent replay."""
    expected = stream_replay(stream_read_all(aws_client("kinesis"), stream), closing=closing)
    actual = {
        (row.session.session_id, row.nickname): (row.score, row.lives, row.shots, row.level)
        for row in Standing.objects.select_related("session")
    }
    assert actual == expected.standings
    assert ScoreEvent.objects.count() == expected.events
    assert DeadLetter.objects.count() == expected.dead_letters
    discards = {row.session.session_id: row.after_closing for row in SessionDiscards.objects.select_related("session")}
    assert discards == {key: value for key, value in expected.discarded.items() if value}
    checkpoints = {lease.shard_id: int(lease.checkpoint) for lease in ShardLease.objects.filter(stream_name=stream)}
    assert checkpoints == expected.last_sequence
