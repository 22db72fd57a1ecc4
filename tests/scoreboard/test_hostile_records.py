"""Whatever bytes arrive, each record ends in a standing, a discard count or a dead letter, never a crash."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoreboard.models import DeadLetter, ScoreEvent, ShardLease, ShardMetrics, Standing
from scoreboard.ranking import rank_key
from scoreboard.stream.leases import lease_acquire
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.records import (
    INT_BOUNDS,
    MAX_RECORD_BYTES,
    RecordRejected,
    Snapshot,
    _record_check_each_field,
    _record_validate,
    snapshot_parse,
)
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameSession, GameType

SESSION_ID = "X261127T130000"
KNOWN_REASONS = {
    "too_large",
    "not_utf8",
    "invalid_json",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "invalid_nickname",
    "out_of_range",
    "invalid_timestamp",
}
nicknames = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=64)
nicknames = nicknames.filter(lambda name: name.strip() == name and name.isprintable())
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
snapshots = st.builds(
    Snapshot,
    session_id=st.just(SESSION_ID),
    nickname=nicknames,
    score=st.integers(*INT_BOUNDS["Score"]),
    lives=st.integers(*INT_BOUNDS["Lives"]),
    shots=st.integers(*INT_BOUNDS["Shots"]),
    level=st.integers(*INT_BOUNDS["Level"]),
    timestamp=moments.map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _mutated(snapshot: Snapshot, field: str, value: object) -> bytes:
    record = snapshot.as_record()
    record[field] = value
    return json.dumps(record, allow_nan=True).encode("utf-8", "surrogatepass")


hostile = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda depth: b"[" * depth + b"]" * depth, st.integers(1, 100_000)),
    st.builds(
        lambda size: b'{"SessionId": "' + b"x" * size + b'"}', st.integers(MAX_RECORD_BYTES, 3 * MAX_RECORD_BYTES)
    ),
    json_values.map(lambda value: json.dumps(value, allow_nan=True).encode()),
    st.builds(
        _mutated,
        snapshots,
        st.sampled_from(["Score", "Lives", "Shots", "Level", "Timestamp", "Nickname", "SessionId"]),
        json_values | st.sampled_from([float("nan"), float("inf"), -1, 2**64, 1.5, "\ud800", "a\x00b"]),
    ),
    snapshots.map(Snapshot.encode),
)


@given(snapshots)
def test_every_game_snapshot_parses_back_to_itself(snapshot: Snapshot) -> None:
    assert snapshot_parse(snapshot.encode()) == snapshot


@given(hostile)
@settings(max_examples=300)
def test_any_bytes_parse_or_are_rejected_with_a_reason(data: bytes) -> None:
    try:
        snapshot = snapshot_parse(data)
    except RecordRejected as rejected:
        reason = rejected.reason
    else:
        reason = ""
        for name, (low, high) in INT_BOUNDS.items():
            assert low <= getattr(snapshot, name.lower()) <= high
    assert reason in {"", *KNOWN_REASONS}


# Each integer field's bounds and one past them, and the values a fast path could take for others.
EDGES = [
    *sorted({edge for low, high in INT_BOUNDS.values() for edge in (low - 1, low, high, high + 1)}),
    *(2**64, 1.0, 1.5, True, " ann ", "", "a\x00b", None),
]


def _outcome(validate: Callable[[object], Snapshot], record: object) -> object:
    try:
        return validate(record)
    except RecordRejected as rejected:
        return (rejected.reason, rejected.detail)


FIELDS = ("SessionId", "Nickname", "Score", "Lives", "Shots", "Level", "Timestamp")
MISSING = object()


def test_the_fast_path_accepts_and_rejects_exactly_as_the_field_by_field_checks() -> None:
    """Every record with one or two fields at an edge value (or missing) ends as the checks in their order say."""
    game = Snapshot(SESSION_ID, "ann", 5, 3, 10, 2, datetime(2026, 11, 27, 9, tzinfo=UTC)).as_record()
    values = [*EDGES, MISSING, "X2611", "0001-01-01T00:00:00+01:00", "2026-11-27T09:00:00Z", "2026-11-27"]
    cases = 0
    for first, second in itertools.combinations_with_replacement(FIELDS, 2):
        for one, other in itertools.product(values, values if first != second else [None]):
            record = dict(game)
            for name, value in ((first, one), (second, other)) if first != second else ((first, one),):
                if value is MISSING:
                    record.pop(name)
                else:
                    record[name] = value
            assert _outcome(_record_validate, record) == _outcome(_record_check_each_field, record), record
            cases += 1
    assert cases > 10_000


@given(
    st.lists(
        st.tuples(st.integers(*INT_BOUNDS["Score"]), st.integers(0, 5), st.integers(0, 500), nicknames), max_size=30
    )
)
def test_rank_key_sorts_in_the_one_ranking_order(players: list[tuple[int, int, int, str]]) -> None:
    by_key = sorted(players, key=lambda p: rank_key(score=p[0], lives=p[1], shots=p[2], nickname=p[3]))
    by_rule = sorted(players, key=lambda p: (-p[0], -p[1], p[2], p[3]))
    assert by_key == by_rule


_shards = itertools.count()


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(hostile, min_size=1, max_size=25))
def test_a_hostile_batch_is_fully_accounted_for_and_the_shard_moves_on(batch: list[bytes]) -> None:
    GameSession.objects.get_or_create(
        session_id=SESSION_ID,
        defaults={
            "game_type": GameType.MULTIPLE_TRIALS,
            "opening_time": datetime(1999, 1, 1, tzinfo=UTC),
            "closing_time": datetime(2050, 1, 1, tzinfo=UTC) + timedelta(days=1),
        },
    )
    shard_id = f"shardId-{next(_shards):012d}"
    lease = ShardLease.objects.create(stream_name="hostile", shard_id=shard_id)
    ShardMetrics.objects.create(lease=lease)
    fence = lease_acquire(stream_name="hostile", shard_id=shard_id, owner="h")
    assert fence is not None
    records = [StreamRecord(sequence, data) for sequence, data in enumerate(batch, start=1)]

    outcome = batch_persist(fence=fence, records=records)

    assert outcome.events + outcome.dead_letters + outcome.discarded == len(batch)
    assert ScoreEvent.objects.filter(shard_id=shard_id).count() == outcome.events
    assert DeadLetter.objects.filter(shard_id=shard_id).count() == outcome.dead_letters
    assert int(ShardLease.objects.get(pk=lease.pk).checkpoint) == len(batch)
    assert Standing.objects.filter(shard_id=shard_id).count() <= outcome.events
