"""Records put from many threads are gathered into PutRecords, and each caller gets its own record's outcome."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from alienportal.aws import aws_client
from alienportal.kinesis_puts import PutFailed, PutGatherer, PutResult, kinesis_put_gatherer
from sessions.models import GameType
from sessions.services import seat_allocate, session_open
from tests.factories import UserFactory
from tests.scoreboard.replay import stream_read_all

pytestmark = pytest.mark.shards(1)


def _kinesis() -> Any:
    # A client of its own: the hooks below must not reach the portal's shared one.
    return boto3.session.Session().client(
        "kinesis", endpoint_url=django_settings.AWS_ENDPOINT_URL, region_name=django_settings.AWS_REGION
    )


def _hold_first_call(kinesis: Any) -> tuple[threading.Event, threading.Event]:
    """Make the client's first PutRecords wait until released; return (started, release)."""
    started, release = threading.Event(), threading.Event()

    def hold(**_: Any) -> None:
        if not started.is_set():
            started.set()
            release.wait(10)

    kinesis.meta.events.register("before-call.kinesis.PutRecords", hold)
    return started, release


def _wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def gatherer() -> PutGatherer:
    return PutGatherer(flushers=1)


def _puts_while_a_call_is_in_flight(
    gatherer: PutGatherer, kinesis: Any, stream: str, keys: list[str]
) -> dict[str, PutResult | PutFailed]:
    """Put "first", hold its call, put one record per key meanwhile, then release: return each key's outcome."""
    started, release = _hold_first_call(kinesis)

    def put(key: str) -> PutResult | PutFailed:
        try:
            return gatherer.put(kinesis=kinesis, stream_name=stream, data=key.encode(), partition_key=key, timeout=10)
        except PutFailed as failed:
            return failed

    with ThreadPoolExecutor(len(keys) + 1) as pool:
        first = pool.submit(put, "first")
        assert started.wait(10)
        outcomes = {key: pool.submit(put, key) for key in keys}
        _wait_for(lambda: gatherer.queued() == len(keys))
        release.set()
        assert isinstance(first.result(), PutResult)
        return {key: outcome.result() for key, outcome in outcomes.items()}


def test_records_queued_during_a_call_go_out_in_one_call_each_with_its_own_sequence_number(
    gatherer: PutGatherer, stream: str
) -> None:
    kinesis = _kinesis()
    keys = [f"player-{index}" for index in range(6)]

    outcomes = _puts_while_a_call_is_in_flight(gatherer, kinesis, stream, keys)

    assert (gatherer.calls, gatherer.records) == (2, 7)
    on_stream = {item["Data"].decode(): item for items in stream_read_all(kinesis, stream).values() for item in items}
    assert set(on_stream) == {"first", *keys}
    for key, outcome in outcomes.items():
        assert isinstance(outcome, PutResult)
        assert outcome.sequence_number == on_stream[key]["SequenceNumber"]


def _refuse_records_of(kinesis: Any, refused_key: str) -> tuple[list[list[str]], Callable[..., Any]]:
    """Answer PutRecords as Kinesis does when one shard is over its limit: only the records for it fail.

    Neither moto nor kinesalite ever fails a single record of a PutRecords; AWS does (per-shard
    throttling), so this one answer is written here. Returns the partition keys of each call, and
    the hook (to unregister from a shared client).
    """
    calls: list[list[str]] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        keys = [record["PartitionKey"] for record in json.loads(params["body"])["Records"]]
        calls.append(keys)
        entries = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"}
            if key == refused_key
            else {"ShardId": "shardId-000000000000", "SequenceNumber": f"4960{index:04d}"}
            for index, key in enumerate(keys)
        ]
        failed = sum("ErrorCode" in entry for entry in entries)
        return AWSResponse("", 200, {}, None), {"FailedRecordCount": failed, "Records": entries}

    # Registered after the hold: the first call waits, then is answered here too.
    kinesis.meta.events.register("before-call.kinesis.PutRecords", answer)
    return calls, answer


def test_a_record_the_stream_refuses_fails_only_its_own_put(gatherer: PutGatherer, stream: str) -> None:
    kinesis = _kinesis()
    started, release = _hold_first_call(kinesis)
    calls, _ = _refuse_records_of(kinesis, "bob")
    keys = ["alice", "bob", "carol"]

    def put(key: str) -> PutResult | PutFailed:
        try:
            return gatherer.put(kinesis=kinesis, stream_name=stream, data=key.encode(), partition_key=key, timeout=10)
        except PutFailed as failed:
            return failed

    with ThreadPoolExecutor(4) as pool:
        pool.submit(put, "first")
        assert started.wait(10)
        outcomes = {key: pool.submit(put, key) for key in keys}
        _wait_for(lambda: gatherer.queued() == len(keys))
        release.set()
        results = {key: outcome.result() for key, outcome in outcomes.items()}

    assert calls == [["first"], keys]  # the three went out in one call
    assert isinstance(results["bob"], PutFailed)
    assert results["bob"].code == "ProvisionedThroughputExceededException"
    assert {key: result.sequence_number for key, result in results.items() if isinstance(result, PutResult)} == {
        "alice": "49600000",
        "carol": "49600002",
    }


def test_a_failed_call_fails_every_record_in_it(gatherer: PutGatherer, stream: str) -> None:
    kinesis = _kinesis()
    with pytest.raises(PutFailed) as failed:
        gatherer.put(kinesis=kinesis, stream_name="no-such-stream", data=b"x", partition_key="x", timeout=10)
    assert failed.value.code == "ResourceNotFoundException"
    # The flusher survives a failed call: the next record goes out.
    assert gatherer.put(kinesis=kinesis, stream_name=stream, data=b"y", partition_key="y", timeout=10).sequence_number


@pytest.mark.django_db(transaction=True)
def test_a_status_the_stream_refuses_is_a_503_and_the_other_statuses_are_200(stream: str) -> None:
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    for nickname in ("alice", "bob"):
        seat_allocate(nickname=nickname)
    manager = APIClient()
    manager.force_authenticate(UserFactory(username="mia", roles=["Managers"]))
    kinesis = aws_client("kinesis")
    calls, answer = _refuse_records_of(kinesis, "bob")
    try:
        answers = {
            nickname: manager.post(
                "/v1/updatestatus",
                data=json.dumps(
                    {
                        "SessionId": session.session_id,
                        "Nickname": nickname,
                        "Score": 10,
                        "Lives": 3,
                        "Shots": 1,
                        "Level": 1,
                        "Timestamp": "2026-11-28T04:00:00.000Z",
                    }
                ),
                content_type="application/json",
            )
            for nickname in ("alice", "bob")
        }
    finally:
        kinesis.meta.events.unregister("before-call.kinesis.PutRecords", answer)
    assert calls == [["alice"], ["bob"]]
    assert answers["alice"].status_code == 200
    assert answers["alice"].json() == {"ShardId": "shardId-000000000000", "SequenceNumber": "49600000"}
    assert (answers["bob"].status_code, answers["bob"].json()) == (
        503,
        {"errorMessage": "The stream is unavailable, retry later.", "errorCode": "StreamUnavailable"},
    )


def test_threads_asking_at_once_for_a_client_get_the_same_one(settings: Any) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9/never-asked-before"  # no client built for it yet
    with ThreadPoolExecutor(16) as pool:
        clients = list(pool.map(lambda _: aws_client("kinesis"), range(64)))
    assert len({id(client) for client in clients}) == 1
    assert kinesis_put_gatherer() is kinesis_put_gatherer()
