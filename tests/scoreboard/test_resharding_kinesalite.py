"""Resharding on a faithful Kinesis (kinesalite; moto cannot split or merge as AWS does, FACTS.md).

Records are put before, during and after a split and a merge while the drain runs; every record
must end in a standing exactly once, children are read only after their parents end, and the
drain never stalls on a closed shard.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from alienportal.dates import js_time
from alienportal.devstack.kinesalite import kinesalite_start
from alienportal.devstack.services import ChildService
from scoreboard.models import DeadLetter, ScoreEvent, ShardLease, Standing
from scoreboard.stream.consumer import shard_drain
from scoreboard.stream.shards import shards_drainable, shards_sync
from tests.factories import GameSessionFactory
from tests.machine import LOG_DIR
from tests.scoreboard.replay import stream_replay

pytestmark = pytest.mark.django_db(transaction=True)
SESSION_ID = "X261127T200000"


@pytest.fixture(scope="module")
def kinesalite() -> Iterator[ChildService]:
    service = kinesalite_start(log_dir=LOG_DIR)
    yield service
    service.stop()


@pytest.fixture
def kinesis(kinesalite: ChildService) -> Any:
    return boto3.client(
        "kinesis",
        endpoint_url=kinesalite.url,
        region_name="us-east-1",
        aws_access_key_id="kinesalite",
        aws_secret_access_key="kinesalite",  # kinesalite checks nothing
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )


@pytest.fixture
def kinesalite_stream(kinesis: Any) -> Callable[[int], str]:
    GameSessionFactory(session_id=SESSION_ID, opening_time=datetime(2026, 1, 1, tzinfo=UTC))

    def create(shards: int) -> str:
        name = f"reshard-{uuid.uuid4().hex[:8]}"
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        _wait_active(kinesis, name)
        return name

    return create


def _wait_active(kinesis: Any, name: str) -> None:
    deadline = time.monotonic() + 10
    while kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, f"{name} never became ACTIVE"
        time.sleep(0.05)


class Producer(threading.Thread):
    """One thread putting game snapshots (PutRecords of 50, many partition keys) until stopped."""

    def __init__(self, kinesis: Any, stream: str) -> None:
        super().__init__(daemon=True)
        self.kinesis, self.stream = kinesis, stream
        self.stopping = threading.Event()
        self.put = 0
        self.counter = 0

    def _snapshot(self) -> dict[str, Any]:
        self.counter += 1
        now = datetime.now(UTC)
        body = {
            "SessionId": SESSION_ID,
            "Nickname": f"player{self.counter % 60:02d}",
            "Score": self.counter,
            "Lives": 3,
            "Shots": self.counter % 97,
            "Level": 1,
            "Timestamp": js_time(now),
        }
        return {"Data": json.dumps(body).encode(), "PartitionKey": f"key-{self.counter}"}

    def run(self) -> None:
        while not self.stopping.is_set():
            pending = [self._snapshot() for _ in range(50)]
            while pending:
                try:
                    answer = self.kinesis.put_records(StreamName=self.stream, Records=pending)
                except ClientError:  # the stream is UPDATING for a moment while it reshards
                    time.sleep(0.05)
                    continue
                failed = [
                    entry for entry, result in zip(pending, answer["Records"], strict=True) if "ErrorCode" in result
                ]
                self.put += len(pending) - len(failed)
                pending = failed
            time.sleep(0.05)


def _read_all(kinesis: Any, stream: str) -> dict[str, list[dict[str, Any]]]:
    """Every record of every shard, open or closed, as the stream holds them."""
    result: dict[str, list[dict[str, Any]]] = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend(response["Records"])
            if not response["Records"] and "EndingSequenceNumber" not in shard["SequenceNumberRange"]:
                break
            iterator = response.get("NextShardIterator")
        result[shard["ShardId"]] = records
    return result


def _drain_round(kinesis: Any, stream: str) -> None:
    """Drain every shard that may be read now, the way beat and the drain tasks do, for a moment each."""
    for lease in shards_drainable(leases=shards_sync(kinesis=kinesis, stream_name=stream)):
        shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="t", seconds=0.6, limit=200)


def _drain_while(kinesis: Any, stream: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _drain_round(kinesis, stream)


def _drain_to_the_end(kinesis: Any, stream: str, put: int) -> None:
    deadline = time.monotonic() + 60
    while ScoreEvent.objects.count() < put:
        assert time.monotonic() < deadline, f"the drain stalled at {ScoreEvent.objects.count()} of {put} records"
        _drain_round(kinesis, stream)
    _drain_round(kinesis, stream)  # closed shards read to their end are marked finished


def _assert_exactly_once_and_parents_first(kinesis: Any, stream: str, put: int) -> dict[str, ShardLease]:
    held = _read_all(kinesis, stream)
    assert sum(len(records) for records in held.values()) == put  # kinesalite lost nothing
    expected = stream_replay(held, closing={SESSION_ID: None})
    assert expected.events == put
    assert ScoreEvent.objects.count() == put
    assert set(ScoreEvent.objects.values_list("shard_id", "sequence_number")) == {
        (shard_id, int(record["SequenceNumber"])) for shard_id, records in held.items() for record in records
    }
    assert not DeadLetter.objects.exists()
    standings = {
        (row.session.session_id, row.nickname): (row.score, row.lives, row.shots, row.level)
        for row in Standing.objects.select_related("session")
    }
    assert standings == expected.standings
    leases = {lease.shard_id: lease for lease in ShardLease.objects.filter(stream_name=stream)}
    checkpoints = {
        shard_id: int(lease.checkpoint) for shard_id, lease in leases.items() if lease.checkpoint is not None
    }
    assert checkpoints == expected.last_sequence
    for lease in leases.values():
        if not lease.parent_shard_ids:
            continue
        child_first = ScoreEvent.objects.filter(shard_id=lease.shard_id).order_by("pk").values_list("pk", flat=True)
        for parent in lease.parent_shard_ids:
            assert leases[parent].finished, f"{parent} was never finished"
            parent_last = ScoreEvent.objects.filter(shard_id=parent).order_by("-pk").values_list("pk", flat=True)
            if child_first and parent_last:
                assert child_first[0] > parent_last[0], f"{lease.shard_id} was read before its parent {parent} ended"
    return leases


def test_records_put_before_during_and_after_a_split_end_in_standings_exactly_once(kinesis, kinesalite_stream) -> None:
    name = kinesalite_stream(1)
    producer = Producer(kinesis, name)
    producer.start()
    _drain_while(kinesis, name, 2.0)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    _drain_while(kinesis, name, 3.0)
    producer.stopping.set()
    producer.join()

    _drain_to_the_end(kinesis, name, producer.put)

    leases = _assert_exactly_once_and_parents_first(kinesis, name, producer.put)
    assert len(leases) == 3
    parent = leases["shardId-000000000000"]
    assert parent.finished
    assert parent.ending_sequence_number is not None
    children = [lease for lease in leases.values() if lease.parent_shard_ids == ["shardId-000000000000"]]
    assert len(children) == 2
    # After the split, writes went to the children, and the drain read them.
    assert all(ScoreEvent.objects.filter(shard_id=child.shard_id).exists() for child in children)


def test_records_put_before_during_and_after_a_merge_end_in_standings_exactly_once(kinesis, kinesalite_stream) -> None:
    name = kinesalite_stream(2)
    producer = Producer(kinesis, name)
    producer.start()
    _drain_while(kinesis, name, 2.0)
    kinesis.merge_shards(
        StreamName=name, ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )
    _drain_while(kinesis, name, 3.0)
    producer.stopping.set()
    producer.join()

    _drain_to_the_end(kinesis, name, producer.put)

    leases = _assert_exactly_once_and_parents_first(kinesis, name, producer.put)
    (child,) = [lease for lease in leases.values() if len(lease.parent_shard_ids) == 2]
    assert ScoreEvent.objects.filter(shard_id=child.shard_id).exists()
    assert all(leases[parent].finished for parent in child.parent_shard_ids)


def test_a_drain_of_a_closed_shard_read_to_its_end_finishes_at_once(kinesis, kinesalite_stream) -> None:
    name = kinesalite_stream(1)
    kinesis.put_records(StreamName=name, Records=[Producer(kinesis, name)._snapshot() for _ in range(10)])
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    _wait_active(kinesis, name)
    shards_sync(kinesis=kinesis, stream_name=name)

    started = time.monotonic()
    summary = shard_drain(kinesis=kinesis, stream_name=name, shard_id="shardId-000000000000", owner="t", seconds=30)

    assert summary.finished
    assert time.monotonic() - started < 10  # it stopped at the shard's end, not at its 30 s
    assert summary.records == 10
    assert not any(
        lease.shard_id == "shardId-000000000000"
        for lease in shards_drainable(leases=shards_sync(kinesis=kinesis, stream_name=name))
    )
