"""The simulator sends records in the game's exact format, with exactly the faults asked for."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from alienportal.aws import aws_client
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.stream.records import RecordRejected, snapshot_parse

RECORD_KEYS = ["SessionId", "Nickname", "Score", "Lives", "Shots", "Level", "Timestamp"]
SESSION_ID = "X261127T101500"


def _read_stream(stream: str) -> list[dict]:
    kinesis = aws_client("kinesis")
    records = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(response["Records"])
            if not response["Records"]:
                break
            iterator = response["NextShardIterator"]
    return records


def test_records_land_on_the_stream_in_the_games_format_with_exact_fault_counts(stream: str) -> None:
    closing = datetime.now(UTC) + timedelta(hours=1)
    faults = FaultPlan(malformed=7, wrong_types=5, unknown_session=4, late=3, duplicates=6)
    simulator = GameSimulator(session_id=SESSION_ID, players=12, faults=faults, closing_time=closing, seed=7)

    summary = simulation_run(
        simulator=simulator, kinesis=aws_client("kinesis"), stream_name=stream, count=1200, rate=5000
    )

    assert (summary.sent, summary.failed, summary.valid) == (1200, 0, 1200 - 25)
    records = _read_stream(stream)
    assert len(records) == 1200
    outcomes: Counter[str] = Counter()
    seen: Counter[bytes] = Counter()
    for record in records:
        data = record["Data"]
        seen[data] += 1
        try:
            snapshot = snapshot_parse(data)
        except RecordRejected as rejected:
            outcomes[rejected.reason] += 1
            continue
        assert list(json.loads(data)) == RECORD_KEYS
        assert record["PartitionKey"] == snapshot.nickname
        if snapshot.session_id != SESSION_ID:
            outcomes["unknown_session"] += 1
        elif snapshot.timestamp > closing:
            outcomes["late"] += 1
        else:
            outcomes["valid"] += 1
    duplicates = sum(count - 1 for count in seen.values())
    assert duplicates == 6
    assert outcomes["unknown_session"] == 4
    assert outcomes["late"] == 3
    assert outcomes["invalid_json"] + outcomes["not_utf8"] == 7
    assert outcomes["wrong_type"] == 5
    assert outcomes["valid"] == 1200 - 7 - 5 - 4 - 3


def test_players_lose_lives_finish_and_only_replay_when_the_game_type_allows() -> None:
    clock_start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    ticks = iter(range(10**6))
    single = GameSimulator(
        session_id=SESSION_ID,
        players=3,
        game_type="SINGLE_TRIAL",
        seed=1,
        clock=lambda: clock_start + timedelta(milliseconds=next(ticks)),
    )
    snapshots = [snapshot_parse(data) for _, data in single.records(600)]

    finished = [snap.nickname for snap in snapshots if snap.lives == 0]
    assert finished, "600 ticks must end some games"
    assert len(finished) == len(set(finished)), "a SINGLE_TRIAL player plays one game only"
    for nickname in finished:
        last_game = [snap for snap in snapshots if snap.nickname == nickname]
        assert last_game[-1].lives == 0
    assert single.summary.players > 3, "new players join once everyone has played"

    multi = GameSimulator(session_id=SESSION_ID, players=2, game_type="MULTIPLE_TRIALS", seed=1)
    multi_snapshots = [snapshot_parse(data) for _, data in multi.records(600)]
    per_player = Counter(snap.nickname for snap in multi_snapshots if snap.lives == 0)
    assert max(per_player.values()) > 1, "MULTIPLE_TRIALS players play again"
    assert multi.summary.players == 2


def test_more_faults_than_records_is_refused() -> None:
    simulator = GameSimulator(session_id=SESSION_ID, players=1, faults=FaultPlan(malformed=5))
    with pytest.raises(ValueError, match="do not fit"):
        list(simulator.records(3))


def test_the_command_refuses_without_a_session(provisioned) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import CommandError, call_command

    aws_client("ssm").put_parameter(Name=settings.SSM_SESSION_PARAMETER, Value="null", Type="String", Overwrite=True)
    with pytest.raises(CommandError, match="no session is open"):
        call_command("simulate_game", via="stream", records=10)


def test_faulty_records_are_never_the_same_bytes_by_accident() -> None:
    # At thousands of records a second, two faulty records of one player share a millisecond: they
    # must still differ, or the stream holds a duplicate nobody planned (and counts are off by one).
    moment = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    simulator = GameSimulator(
        session_id=SESSION_ID,
        players=1,
        faults=FaultPlan(wrong_types=5, unknown_session=5),
        seed=3,
        clock=lambda: moment,
    )
    data = [record for _, record in simulator.records(20)]
    assert len(set(data)) == len(data) == 20
