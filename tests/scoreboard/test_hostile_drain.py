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
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.records import RecordRejected, snapshot_parse
from scoreboard.stream.routing import StreamRecord
from scoreboard.stream.shards import shards_sync
from sessions.models import GameSession, GameType
from tests.factories import GameSessionFactory

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
@pytest.mark.shards(1)
def test_an_unconvertible_timestamp_among_400_players_does_not_stop_the_shard(stream) -> None:
    """Finding 1, end to end: before the fix the drain died on this batch again and again."""
    GameSessionFactory(session_id=SESSION_ID, opening_time=datetime.now(UTC) - timedelta(hours=1))
    kinesis = aws_client("kinesis")
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
@pytest.mark.shards(1)
def test_redis_down_backs_off_and_the_batch_commits_once_redis_is_back(settings, stream) -> None:  # type: ignore[no-untyped-def]
    """Before: the drain task died on the first batch while Redis was unreachable."""
    GameSessionFactory(session_id=SESSION_ID, opening_time=datetime.now(UTC) - timedelta(hours=1))
    kinesis = aws_client("kinesis")
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


# --- finding 3: the client's clock decides (time rules by Kinesis' arrival time) ----------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture
def held_fence():  # type: ignore[no-untyped-def]
    lease = ShardLease.objects.create(stream_name="time", shard_id="shardId-000000000007")
    ShardMetrics.objects.create(lease=lease)
    fence = lease_acquire(stream_name="time", shard_id=lease.shard_id, owner="t")
    assert fence is not None
    return fence


def _session(closing_time: datetime | None = None) -> GameSession:
    return GameSessionFactory(
        session_id=SESSION_ID, opening_time=datetime(2026, 1, 1, tzinfo=UTC), closing_time=closing_time
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.shards(1)
def test_a_snapshot_stamped_in_the_year_9999_does_not_freeze_the_standing(stream) -> None:
    """Before: the 9999 snapshot won every comparison, so nothing the player did later counted."""
    _session()
    kinesis = aws_client("kinesis")
    for data in (
        _snapshot("ann", timestamp="9999-12-31T23:59:59.999Z", score=999_999),
        _snapshot("ann", timestamp=_now_stamp(), score=120),
    ):
        kinesis.put_record(StreamName=stream, Data=data, PartitionKey="ann")
    (lease,) = shards_sync(kinesis=kinesis, stream_name=stream)

    shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="t", seconds=2)

    assert Standing.objects.get(nickname="ann").score == 120
    letter = DeadLetter.objects.get()
    assert letter.reason == "future_timestamp"
    assert letter.arrived_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_clock_a_little_fast_counts_and_one_beyond_the_skew_is_a_dead_letter(held_fence) -> None:
    _session()
    arrival = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    records = [
        StreamRecord(1, _snapshot("ann", timestamp=_stamp(arrival + timedelta(minutes=4, seconds=59))), arrival),
        StreamRecord(2, _snapshot("bob", timestamp=_stamp(arrival + timedelta(minutes=5, seconds=1))), arrival),
    ]

    outcome = batch_persist(fence=held_fence, records=records)

    assert (outcome.events, outcome.dead_letters) == (1, 1)
    assert list(Standing.objects.values_list("nickname", flat=True)) == ["ann"]
    assert DeadLetter.objects.get().reason == "future_timestamp"


@pytest.mark.django_db(transaction=True)
def test_a_backdated_snapshot_put_after_closing_does_not_rewrite_final_results(held_fence) -> None:
    """Before: a snapshot stamped before ClosingTime counted whenever it arrived."""
    closing = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    _session(closing_time=closing)
    before_closing = _stamp(closing - timedelta(seconds=10))
    records = [
        StreamRecord(1, _snapshot("ann", timestamp=before_closing, score=50), closing - timedelta(seconds=9)),
        # In flight when the manager closed: within the grace, it counts.
        StreamRecord(2, _snapshot("bob", timestamp=before_closing, score=60), closing + timedelta(seconds=59)),
        # Put on the stream long after closing with a backdated stamp: it does not.
        StreamRecord(3, _snapshot("ann", timestamp=before_closing, score=10**6), closing + timedelta(hours=2)),
    ]

    outcome = batch_persist(fence=held_fence, records=records)

    assert (outcome.events, outcome.discarded) == (2, 1)
    assert dict(Standing.objects.values_list("nickname", "score")) == {"ann": 50, "bob": 60}


@pytest.mark.django_db(transaction=True)
def test_a_backlog_drained_hours_later_counts_as_it_arrived(held_fence) -> None:
    arrival = datetime.now(UTC) - timedelta(hours=3)  # the stream held it while the drain was down
    _session(closing_time=arrival + timedelta(seconds=30))
    records = [StreamRecord(1, _snapshot("ann", timestamp=_stamp(arrival - timedelta(seconds=1))), arrival)]

    outcome = batch_persist(fence=held_fence, records=records)

    assert outcome.events == 1


@pytest.mark.django_db(transaction=True)
def test_a_replayed_future_snapshot_is_still_a_dead_letter(held_fence) -> None:
    from scoreboard.services import dead_letters_replay

    _session()
    arrival = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    batch_persist(
        fence=held_fence,
        records=[StreamRecord(1, _snapshot("ann", timestamp="9999-01-01T00:00:00.000Z"), arrival)],
    )

    summary = dead_letters_replay(actor=None)

    assert (summary.replayed, summary.reasons) == (0, {"future_timestamp": 1})
    assert not Standing.objects.exists()


# --- deliver 6: dead letters are capped and expire -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_1_mib_record_keeps_only_its_first_4_kib_its_length_and_its_hash(held_fence) -> None:
    """Before: each dead letter kept its whole payload (up to 1 MiB a record)."""
    import hashlib

    data = b'{"SessionId": "' + b"x" * (1024 * 1024 - 20) + b'"}'

    batch_persist(fence=held_fence, records=[StreamRecord(1, data)])

    letter = DeadLetter.objects.get()
    assert (letter.reason, len(letter.data), letter.data_length) == ("too_large", 4096, len(data))
    assert bytes(letter.data) == data[:4096]
    assert letter.data_sha256 == hashlib.sha256(data).hexdigest()
    assert letter.is_truncated


@pytest.mark.django_db(transaction=True)
def test_a_truncated_dead_letter_whose_prefix_is_a_valid_snapshot_is_never_replayed(held_fence) -> None:
    from scoreboard.services import dead_letters_replay

    _session()
    valid = _snapshot("ann", timestamp=_now_stamp(), score=7)
    batch_persist(fence=held_fence, records=[StreamRecord(1, valid + b" " * 5000)])

    summary = dead_letters_replay(actor=None)

    assert (summary.replayed, summary.still_dead, summary.reasons) == (0, 1, {"too_large": 1})
    assert not Standing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_dead_letters_older_than_the_retention_are_deleted_by_the_beat_task(settings, held_fence) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings as django_settings

    from scoreboard.tasks import dead_letters_expire_task

    settings.DEAD_LETTER_RETENTION_DAYS = 30
    batch_persist(fence=held_fence, records=[StreamRecord(number, b"junk") for number in range(1, 8)])
    DeadLetter.objects.filter(sequence_number__lte=5).update(created_at=datetime.now(UTC) - timedelta(days=31))
    DeadLetter.objects.filter(sequence_number=6).update(created_at=datetime.now(UTC) - timedelta(days=29))

    deleted = dead_letters_expire_task()

    assert deleted == 5
    assert sorted(int(number) for number in DeadLetter.objects.values_list("sequence_number", flat=True)) == [6, 7]
    beat = [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert "scoreboard.tasks.dead_letters_expire_task" in beat
