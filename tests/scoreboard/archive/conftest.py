"""Fixtures of the archive tests: a stream of their own, an S3 of their own that can go away."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.conf import settings

from alienportal.aws import aws_client
from alienportal.devstack.services import ChildService, moto_start
from alienportal.redis_clients import redis_client
from scoreboard.archive.consumer import shard_archive
from scoreboard.archive.objects import FORMAT_JSONL, FORMAT_METADATA_KEY, ArchivedRecord, records_decode
from scoreboard.models import DeadLetter, LeaseConsumer, ScoreEvent, SessionDiscards, Standing
from scoreboard.selectors import ranking_player_rank
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.stream.shards import shards_drainable, shards_sync
from sessions.models import GameSession
from tests.scoreboard.test_consumer import drain_all

LOG_DIR = Path(__file__).resolve().parents[3] / "var" / "test-logs"
SESSION_ID = "X261127T130000"
OTHER_ID = "X261127T130500"


class OwnS3:
    """A moto server of the test's own for S3; `freeze` makes it stop answering, `thaw` resumes it."""

    def __init__(self, server: ChildService):
        self.server = server
        # Short timeouts and no retries of its own: the archive consumer's back-off is under test.
        self.client = boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name=settings.AWS_REGION,
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"}),
        )
        self.bucket = "archive-test"
        self.client.create_bucket(Bucket=self.bucket)

    def freeze(self) -> None:
        assert self.server.process is not None
        os.kill(self.server.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.server.process is not None
        os.kill(self.server.process.pid, signal.SIGCONT)

    def objects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """Every object under `prefix`: key -> {"body", "metadata"}."""
        result: dict[str, dict[str, Any]] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                got = self.client.get_object(Bucket=self.bucket, Key=item["Key"])
                result[item["Key"]] = {"body": got["Body"].read(), "metadata": got.get("Metadata", {})}
        return result

    def archived_records(self) -> list[ArchivedRecord]:
        records: list[ArchivedRecord] = []
        for item in self.objects().values():
            assert item["metadata"].get(FORMAT_METADATA_KEY) == FORMAT_JSONL
            records.extend(records_decode(item["body"]))
        return records


@pytest.fixture
def own_s3() -> Iterator[OwnS3]:
    server = moto_start(log_dir=LOG_DIR)
    s3 = OwnS3(server)
    yield s3
    s3.thaw()  # a frozen process ignores SIGTERM until it runs again
    server.stop()


@pytest.fixture(autouse=True)
def archive_at_full_pace(settings: Any) -> None:
    """The archive at the fastest pace Kinesis allows (5 reads a second), not its share beside a drain
    (ARCHIVE_MIN_CALL_SECONDS): these tests read small batches within a few seconds."""
    settings.ARCHIVE_MIN_CALL_SECONDS = 0.2


@pytest.fixture
def archive_all(own_s3: OwnS3) -> Callable[..., None]:
    """Run the archive consumer over every shard of `stream` once, for `seconds` each."""

    def run(stream: str, seconds: float = 2.0, s3: Any = None) -> None:
        kinesis = aws_client("kinesis")
        leases = shards_sync(kinesis=kinesis, stream_name=stream, consumer=LeaseConsumer.ARCHIVE)
        for lease in shards_drainable(leases=leases):
            shard_archive(
                kinesis=kinesis,
                s3=s3 or own_s3.client,
                stream_name=stream,
                shard_id=lease.shard_id,
                owner="test-archive",
                seconds=seconds,
                bucket=own_s3.bucket,
                prefix="raw/",
            )

    return run


def live_result() -> dict:  # type: ignore[type-arg]
    """Everything the drain derives from the stream, as comparable values."""
    return {
        "standings": {
            (row.session.session_id, row.nickname): (row.score, row.lives, row.shots, row.level, row.rank_key)
            for row in Standing.objects.select_related("session")
        },
        "events": sorted(
            ScoreEvent.objects.values_list("shard_id", "sequence_number", "session__session_id", "nickname", "score")
        ),
        "dead_letters": sorted(
            (row.shard_id, int(row.sequence_number), bytes(row.data), row.reason, row.session_id)
            for row in DeadLetter.objects.all()
        ),
        "discards": dict(SessionDiscards.objects.values_list("session__session_id", "after_closing")),
    }


def scoreboard_drop() -> None:
    """What the stream built goes; the sessions (managers' input, not the stream's) stay."""
    ScoreEvent.objects.all().delete()
    Standing.objects.all().delete()
    DeadLetter.objects.all().delete()
    SessionDiscards.objects.all().delete()
    redis_client().flushdb()


def assert_index_ranks(session: GameSession) -> None:
    names = Standing.objects.filter(session=session).order_by("rank_key").values_list("nickname", flat=True)
    assert [ranking_player_rank(session=session, nickname=name) for name in names] == list(range(1, len(names) + 1))


@pytest.fixture
def played(stream, own_s3, archive_all, make_session, settings):  # type: ignore[no-untyped-def]
    """Two sessions played with every kind of fault, drained live and archived; returns the live result."""
    settings.ARCHIVE_BUFFER_SECONDS = 0
    settings.ARCHIVE_BATCH_LIMIT = 200
    closing = datetime.now(UTC) + timedelta(minutes=30)
    session = make_session(session_id=SESSION_ID, closing_time=closing)
    make_session(session_id=OTHER_ID, closing_time=closing)
    kinesis = aws_client("kinesis")
    faults = FaultPlan(malformed=7, wrong_types=5, unknown_session=4, late=6, duplicates=9)
    for session_id, seed in ((SESSION_ID, 1), (OTHER_ID, 2)):
        simulator = GameSimulator(session_id=session_id, players=25, faults=faults, closing_time=closing, seed=seed)
        simulation_run(simulator=simulator, kinesis=kinesis, stream_name=stream, count=700, rate=5000)
    drain_all(stream)
    archive_all(stream, seconds=2)
    result = live_result()
    assert result["discards"] == {SESSION_ID: 6, OTHER_ID: 6}
    assert len(result["dead_letters"]) == 2 * (7 + 5 + 4)
    return {"live": result, "session": session, "s3": own_s3}
