"""Draining shards through moto: standings equal a replay of the stream; pacing, iterators, resharding."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from alienportal.aws import aws_client
from scoreboard.models import SessionDiscards, ShardLease
from scoreboard.selectors import pipeline_shards, pipeline_workers, ranking_player_rank, ranking_top
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.stream.consumer import ShardReader, shard_drain
from scoreboard.stream.leases import lease_acquire
from scoreboard.stream.shards import shards_drainable, shards_sync, shards_unclaimed
from tests.scoreboard.replay import assert_matches_replay
from tests.streams import drain_all

pytestmark = pytest.mark.django_db(transaction=True)
SESSION_ID = "X261127T110000"


def test_a_simulated_game_with_faults_drains_to_exactly_the_replayed_standings(stream, make_session) -> None:
    closing = datetime.now(UTC) + timedelta(minutes=30)
    session = make_session(session_id=SESSION_ID, closing_time=closing)
    faults = FaultPlan(malformed=9, wrong_types=6, unknown_session=5, late=7, duplicates=8)
    simulator = GameSimulator(session_id=SESSION_ID, players=40, faults=faults, closing_time=closing, seed=3)
    simulation_run(simulator=simulator, kinesis=aws_client("kinesis"), stream_name=stream, count=1500, rate=5000)

    drain_all(stream)

    assert_matches_replay(stream, {SESSION_ID: closing})
    assert SessionDiscards.objects.get(session=session).after_closing == 7
    top = ranking_top(session=session, limit=3)
    assert [ranking_player_rank(session=session, nickname=row.nickname) for row in top] == [1, 2, 3]
    shards = pipeline_shards(stream_name=stream)
    assert sum(shard.records_processed for shard in shards) == 1500
    assert sum(shard.dead_letters for shard in shards) == 9 + 6 + 5
    assert all(shard.checkpoint_at is not None and shard.owner == "" for shard in shards)
    assert any(worker.worker == "test" for worker in pipeline_workers())


def test_an_idle_shard_is_polled_at_most_once_a_second(stream) -> None:
    kinesis = aws_client("kinesis")
    shards_sync(kinesis=kinesis, stream_name=stream)
    started = time.monotonic()
    summary = shard_drain(kinesis=kinesis, stream_name=stream, shard_id="shardId-000000000000", owner="t", seconds=3)
    elapsed = time.monotonic() - started
    assert summary.acquired
    assert summary.calls <= elapsed / 1.0 + 1


def test_the_drain_and_the_archive_share_a_shards_five_reads_a_second() -> None:
    # Kinesis' GetRecords limit is per shard, for every consumer together.
    from django.conf import settings

    assert 1 / settings.STREAM_MIN_CALL_SECONDS + 1 / settings.ARCHIVE_MIN_CALL_SECONDS <= 5


def test_a_busy_shard_is_polled_at_most_four_times_a_second(stream, make_session) -> None:
    make_session(session_id=SESSION_ID)
    kinesis = aws_client("kinesis")
    simulator = GameSimulator(session_id=SESSION_ID, players=5, seed=1)
    simulation_run(simulator=simulator, kinesis=kinesis, stream_name=stream, count=600, rate=5000)
    shards_sync(kinesis=kinesis, stream_name=stream)
    started = time.monotonic()
    summary = shard_drain(
        kinesis=kinesis, stream_name=stream, shard_id="shardId-000000000000", owner="t", seconds=2, limit=10
    )
    elapsed = time.monotonic() - started
    assert summary.batches >= 4  # records kept coming: every call returned some
    assert summary.calls <= elapsed * 4 + 1  # STREAM_MIN_CALL_SECONDS: the archive has the fifth


def test_a_lost_iterator_is_reopened_after_the_checkpoint(stream, make_session) -> None:
    make_session(session_id=SESSION_ID)
    kinesis = aws_client("kinesis")
    simulator = GameSimulator(session_id=SESSION_ID, players=3, seed=2)
    simulation_run(simulator=simulator, kinesis=kinesis, stream_name=stream, count=40, rate=5000)
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ],
        Limit=100,
    )["Records"]
    middle = int(records[len(records) // 2]["SequenceNumber"])
    reader = ShardReader(kinesis=kinesis, stream_name=stream, shard_id=shard, limit=100)
    reader.open(checkpoint=middle)
    after = [int(item["SequenceNumber"]) for item in reader.read()["Records"]]
    assert after == [int(item["SequenceNumber"]) for item in records if int(item["SequenceNumber"]) > middle]


def test_two_workers_racing_for_a_shard_only_one_holds_it(stream) -> None:
    shards_sync(kinesis=aws_client("kinesis"), stream_name=stream)
    winners = []
    barrier = threading.Barrier(6)

    def race(name: str) -> None:
        from django.db import connection

        barrier.wait()
        if lease_acquire(stream_name=stream, shard_id="shardId-000000000000", owner=name) is not None:
            winners.append(name)
        connection.close()

    threads = [threading.Thread(target=race, args=(f"w{index}",)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert ShardLease.objects.get(stream_name=stream, shard_id="shardId-000000000000").owner == winners[0]


def test_a_child_shard_waits_until_its_parent_is_read_to_its_end(stream, make_session) -> None:
    make_session(session_id=SESSION_ID)
    kinesis = aws_client("kinesis")
    simulation_run(
        simulator=GameSimulator(session_id=SESSION_ID, players=4, seed=4),
        kinesis=kinesis,
        stream_name=stream,
        count=50,
        rate=5000,
    )
    shards_sync(kinesis=kinesis, stream_name=stream)
    parent = "shardId-000000000000"
    hash_range = kinesis.list_shards(StreamName=stream)["Shards"][0]["HashKeyRange"]
    middle = (int(hash_range["StartingHashKey"]) + int(hash_range["EndingHashKey"])) // 2
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(middle))
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})

    leases = shards_sync(kinesis=kinesis, stream_name=stream)
    by_id = {lease.shard_id: lease for lease in leases}
    children = [lease.shard_id for lease in leases if parent in lease.parent_shard_ids]
    assert len(children) == 2
    assert by_id[parent].ending_sequence_number is not None  # closed
    drainable = {lease.shard_id for lease in shards_drainable(leases=leases)}
    assert parent in drainable
    assert not drainable & set(children)

    summary = shard_drain(kinesis=kinesis, stream_name=stream, shard_id=parent, owner="t", seconds=5)
    assert summary.finished
    leases = shards_sync(kinesis=kinesis, stream_name=stream)
    drainable = {lease.shard_id for lease in shards_drainable(leases=leases)}
    assert set(children) <= drainable
    assert parent not in drainable


def test_beat_starts_drains_only_for_shards_nobody_holds() -> None:
    now = datetime.now(UTC)
    free = ShardLease.objects.create(stream_name="s", shard_id="shardId-000000000000")
    held = ShardLease.objects.create(
        stream_name="s", shard_id="shardId-000000000001", owner="w1", expires_at=now + timedelta(seconds=5)
    )
    abandoned = ShardLease.objects.create(
        stream_name="s", shard_id="shardId-000000000002", owner="w2", expires_at=now - timedelta(seconds=1)
    )

    unclaimed = shards_unclaimed(leases=[free, held, abandoned], now=now)

    assert [lease.shard_id for lease in unclaimed] == [free.shard_id, abandoned.shard_id]
