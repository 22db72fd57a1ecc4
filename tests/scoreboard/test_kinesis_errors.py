"""What moto cannot do, replayed with botocore's Stubber: throttling, expired iterators, a closed shard's end.

The responses follow the AWS documentation (FACTS.md); the code under test is the real drain
loop, the real database and the real Redis.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from scoreboard.models import ScoreEvent, ShardLease, ShardMetrics, Standing
from scoreboard.stream.consumer import shard_drain

pytestmark = pytest.mark.django_db(transaction=True)
SHARD = "shardId-000000000000"


def _record(sequence: int, score: int) -> dict:  # type: ignore[type-arg]
    data = {
        "SessionId": "X261127T100000",
        "Nickname": "ann",
        "Score": score,
        "Lives": 3,
        "Shots": 1,
        "Level": 1,
        "Timestamp": f"2026-11-27T10:00:0{sequence}.000Z",
    }
    return {
        "SequenceNumber": str(sequence),
        "Data": json.dumps(data).encode(),
        "PartitionKey": "ann",
        # When Kinesis received it: just after the game stamped it (the drain's time rules compare them).
        "ApproximateArrivalTimestamp": datetime(2026, 11, 27, 10, 0, sequence, 500_000, tzinfo=UTC),
    }


def test_throttling_backs_off_and_lost_iterators_reopen_after_the_checkpoint(make_session) -> None:
    make_session()
    lease = ShardLease.objects.create(stream_name="stubbed", shard_id=SHARD, ending_sequence_number=None)
    ShardMetrics.objects.create(lease=lease)
    kinesis = boto3.client(
        "kinesis",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # never sent: the stubber answers
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    stubber = Stubber(kinesis)
    first = {"StreamName": "stubbed", "ShardId": SHARD, "ShardIteratorType": "TRIM_HORIZON"}
    stubber.add_response("get_shard_iterator", {"ShardIterator": "it-1"}, first)
    stubber.add_client_error("get_records", "ProvisionedThroughputExceededException", http_status_code=400)
    stubber.add_client_error("get_records", "ExpiredIteratorException", http_status_code=400)
    stubber.add_response("get_shard_iterator", {"ShardIterator": "it-2"}, first)
    stubber.add_response(
        "get_records",
        {"Records": [_record(1, 10), _record(2, 20)], "NextShardIterator": "it-3", "MillisBehindLatest": 0},
        {"ShardIterator": "it-2", "Limit": 100},
    )
    stubber.add_client_error("get_records", "ExpiredIteratorException", http_status_code=400)
    after = {**first, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": "2"}
    stubber.add_response("get_shard_iterator", {"ShardIterator": "it-4"}, after)
    stubber.add_response(
        "get_records",
        {"Records": [_record(3, 30)], "NextShardIterator": "it-5", "MillisBehindLatest": 0},
        {"ShardIterator": "it-4", "Limit": 100},
    )
    # The end of a closed shard: no next iterator (its children may start).
    stubber.add_response(
        "get_records", {"Records": [], "MillisBehindLatest": 0}, {"ShardIterator": "it-5", "Limit": 100}
    )

    calls: list[float] = []
    # Registered before the stubber's own hook (which answers at before-call).
    kinesis.meta.events.register(
        "before-parameter-build.kinesis.GetRecords", lambda **_: calls.append(time.monotonic())
    )
    stubber.activate()
    summary = shard_drain(kinesis=kinesis, stream_name="stubbed", shard_id=SHARD, owner="t", seconds=20, limit=100)
    stubber.assert_no_pending_responses()

    assert (summary.throttled, summary.iterator_reopened, summary.finished) == (1, 2, True)
    assert calls[1] - calls[0] >= 0.5  # backed off after the throttle
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(calls))
    assert ScoreEvent.objects.count() == 3
    assert Standing.objects.get().score == 30
    lease.refresh_from_db()
    assert (int(lease.checkpoint), lease.finished, lease.owner) == (3, True, "")
