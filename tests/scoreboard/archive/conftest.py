"""Fixtures of the archive tests: an S3 of their own that can go away, the archive run over a stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alienportal.aws import aws_client
from alienportal.devstack.services import moto_start
from scoreboard.archive.consumer import shard_archive
from scoreboard.models import LeaseConsumer
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.stream.shards import shards_drainable, shards_sync
from tests.machine import LOG_DIR
from tests.scoreboard.archive.own_s3 import OwnS3
from tests.scoreboard.archive.results import OTHER_ID, SESSION_ID, live_result
from tests.streams import drain_all


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
