"""Attacks on the drain itself (issue 14): no record, and no outage of Redis or AWS, stops a shard."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alienportal.aws import aws_client
from scoreboard.models import DeadLetter, ScoreEvent, ShardLease, ShardMetrics, Standing
from scoreboard.stream.consumer import shard_drain
from scoreboard.stream.leases import lease_acquire
from scoreboard.stream.persist import StreamRecord, batch_persist
from scoreboard.stream.records import RecordRejected, snapshot_parse
from scoreboard.stream.shards import shards_sync
from sessions.models import GameSession, GameType

SESSION_ID = "X261127T140000"


def _snapshot(nickname: str, *, timestamp: str, score: int = 10, lives: int = 3) -> bytes:
    return json.dumps(
        {
            "SessionId": SESSION_ID,
            "Nickname": nickname,
            "Score": score,
            "Lives": lives,
            "Shots": 1,
            "Level": 1,
            "Timestamp": timestamp,
        }
    ).encode()


def _now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_that_cannot_move_to_utc_is_rejected_not_raised(timestamp: str) -> None:
    with pytest.raises(RecordRejected) as rejected:
        snapshot_parse(_snapshot("ann", timestamp=timestamp))
    assert rejected.value.reason == "invalid_timestamp"


@pytest.mark.django_db(transaction=True)
def test_an_unconvertible_timestamp_among_400_players_does_not_stop_the_shard(provisioned) -> None:
    """Finding 1, end to end: before the fix the drain died on this batch again and again."""
    GameSession.objects.create(
        session_id=SESSION_ID, game_type=GameType.MULTIPLE_TRIALS, opening_time=datetime.now(UTC) - timedelta(hours=1)
    )
    kinesis = aws_client("kinesis")
    stream = f"poison-{datetime.now(UTC):%H%M%S%f}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
    data = [_snapshot(f"player{index:03d}", timestamp=_now_stamp(), score=index) for index in range(400)]
    data.insert(174, _snapshot("mallory", timestamp="0001-01-01T00:00:00+01:00"))
    data.insert(300, _snapshot("mallory", timestamp="9999-12-31T23:59:59-01:00"))
    put = kinesis.put_records(StreamName=stream, Records=[{"Data": item, "PartitionKey": "p"} for item in data])
    assert put["FailedRecordCount"] == 0
    last = max(int(item["SequenceNumber"]) for item in put["Records"])
    (lease,) = shards_sync(kinesis=kinesis, stream_name=stream)

    summary = shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="t", seconds=3, limit=50)

    assert summary.records == 402
    assert Standing.objects.filter(nickname__startswith="player").count() == 400
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == ["invalid_timestamp"] * 2
    assert not Standing.objects.filter(nickname="mallory").exists()
    assert int(ShardLease.objects.get(stream_name=stream).checkpoint) == last


@pytest.mark.django_db(transaction=True)
def test_redis_down_backs_off_and_the_batch_commits_once_redis_is_back(settings, provisioned) -> None:  # type: ignore[no-untyped-def]
    """Before: the drain task died on the first batch while Redis was unreachable."""
    GameSession.objects.create(
        session_id=SESSION_ID, game_type=GameType.MULTIPLE_TRIALS, opening_time=datetime.now(UTC) - timedelta(hours=1)
    )
    kinesis = aws_client("kinesis")
    stream = f"noredis-{datetime.now(UTC):%H%M%S%f}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
    kinesis.put_records(
        StreamName=stream,
        Records=[{"Data": _snapshot(f"p{index}", timestamp=_now_stamp()), "PartitionKey": "p"} for index in range(20)],
    )
    (lease,) = shards_sync(kinesis=kinesis, stream_name=stream)
    redis_url = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    threading.Timer(2.5, lambda: setattr(settings, "REDIS_URL", redis_url)).start()

    summary = shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="t", seconds=6)

    assert summary.redis_errors >= 1
    assert summary.records == 20
    assert Standing.objects.count() == 20
    assert ScoreEvent.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_kinesis_unreachable_backs_off_until_time_is_up_and_releases_the_lease() -> None:
    """Before: the drain task died with EndpointConnectionError and left the lease to expire."""
    lease = ShardLease.objects.create(stream_name="unreachable", shard_id="shardId-000000000000")
    ShardMetrics.objects.create(lease=lease)
    kinesis = boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1),
    )

    summary = shard_drain(kinesis=kinesis, stream_name="unreachable", shard_id=lease.shard_id, owner="t", seconds=3)

    assert summary.acquired
    assert 2 <= summary.aws_errors <= 6  # backed off (0.5, 1, 2 s), not a busy loop
    assert ShardLease.objects.get(pk=lease.pk).owner == ""


# --- the property: any JSON value in any field, through the real batch path ---------------------

_offsets = st.one_of(
    st.just("Z"),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda minutes: f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    ),
    st.just(""),  # no zone at all
)
_naive_moments = st.one_of(
    st.datetimes(min_value=datetime.min, max_value=datetime.max),
    st.sampled_from([datetime.min, datetime.max]),  # the edges, where moving to UTC overflows
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
)
_timestamps = st.one_of(
    st.builds(lambda moment, offset: moment.isoformat() + offset, _naive_moments, _offsets),
    st.builds(lambda moment, offset: moment.isoformat(timespec="milliseconds") + offset, _naive_moments, _offsets),
    st.builds(lambda: _now_stamp()),
)
_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=0, max_value=1_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**400), max_value=10**400),
)
_json_values = st.recursive(
    st.none() | st.booleans() | _numbers | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
_small = st.integers(min_value=0, max_value=1_000)
# Each field: a value the game would send (often, so that later fields get validated too), a value
# of the right kind but any size or content, or any JSON value at all.
_FIELDS = {
    "SessionId": (st.just(SESSION_ID), st.text()),
    "Nickname": (st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8), st.text(max_size=70)),
    "Score": (_small, _numbers),
    "Lives": (_small, _numbers),
    "Shots": (_small, _numbers),
    "Level": (_small, _numbers),
    "Timestamp": (_timestamps, _timestamps),
}


def _weighted(valid: st.SearchStrategy, kind: st.SearchStrategy, anything: st.SearchStrategy) -> st.SearchStrategy:
    # 80 % a valid value (one_of picks branches evenly, which would rarely let a record reach its
    # last fields), 10 % any value of the kind, 10 % any JSON value.
    return st.integers(0, 9).flatmap(lambda draw: valid if draw < 8 else (kind if draw < 9 else anything))


_records = st.fixed_dictionaries(
    {name: _weighted(valid, kind, _json_values) for name, (valid, kind) in _FIELDS.items()},
    optional={"Extra": _json_values},
).map(lambda record: json.dumps(record).encode())
_shards = itertools.count()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(_records, min_size=1, max_size=12), min_size=1, max_size=3))
def test_any_json_in_any_field_is_accounted_for_exactly_once_and_the_checkpoint_advances(
    batches: list[list[bytes]],
) -> None:
    GameSession.objects.get_or_create(
        session_id=SESSION_ID,
        defaults={
            "game_type": GameType.MULTIPLE_TRIALS,
            "opening_time": datetime(1, 1, 2, tzinfo=UTC),
            "closing_time": datetime.now(UTC) - timedelta(days=1),
        },
    )
    shard_id = f"shardId-{next(_shards):012d}"
    lease = ShardLease.objects.create(stream_name="property", shard_id=shard_id)
    ShardMetrics.objects.create(lease=lease)
    fence = lease_acquire(stream_name="property", shard_id=shard_id, owner="p")
    assert fence is not None
    sequence = itertools.count(10**40)  # beyond 64 bits, as Kinesis' are
    discarded = 0
    seen: list[int] = []
    for batch in batches:
        records = [StreamRecord(next(sequence), data) for data in batch]
        seen.extend(record.sequence_number for record in records)

        outcome = batch_persist(fence=fence, records=records)

        discarded += outcome.discarded
        assert outcome.events + outcome.dead_letters + outcome.discarded == len(batch)
        assert int(ShardLease.objects.get(pk=lease.pk).checkpoint) == records[-1].sequence_number
    events = {
        int(number) for number in ScoreEvent.objects.filter(shard_id=shard_id).values_list("sequence_number", flat=True)
    }
    letters = {
        int(number) for number in DeadLetter.objects.filter(shard_id=shard_id).values_list("sequence_number", flat=True)
    }
    assert not events & letters
    assert len(events) + len(letters) + discarded == len(seen)
    assert (events | letters) <= set(seen)
    assert all(reason for reason in DeadLetter.objects.filter(shard_id=shard_id).values_list("reason", flat=True))
