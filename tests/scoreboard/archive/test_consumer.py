"""The archive consumer puts every record of the stream in S3 exactly once, byte for byte, through an S3 outage."""

from __future__ import annotations

import gzip
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from alienportal.aws import aws_client
from scoreboard.archive.consumer import shard_archive
from scoreboard.archive.models import ArchiveShardState
from scoreboard.archive.objects import records_decode
from scoreboard.archive.selectors import archive_status
from scoreboard.archive.tasks import archive_shards_sync
from scoreboard.models import LeaseConsumer, ShardLease
from scoreboard.simulator import FaultPlan, GameSimulator, simulation_run
from scoreboard.stream.leases import lease_acquire
from scoreboard.stream.shards import shards_sync
from tests.machine import LOG_DIR
from tests.scoreboard.replay import stream_read_all

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
SESSION_ID = "X261127T120000"
KEY = re.compile(
    r"^raw/(\d{4})/(\d{2})/(\d{2})/(\d{2})/(?P<stream>.+)-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})"
    r"-(?P<shard>shardId-\d+)-(?P<first>\d+)-(?P<last>\d+)\.gz$"
)


def _stream_records(stream: str) -> Counter:  # type: ignore[type-arg]
    return Counter(
        (shard_id, int(item["SequenceNumber"]), bytes(item["Data"]), item["ApproximateArrivalTimestamp"])
        for shard_id, items in stream_read_all(aws_client("kinesis"), stream).items()
        for item in items
    )


def _archived(own_s3) -> Counter:  # type: ignore[no-untyped-def, type-arg]
    return Counter(
        (record.shard_id, record.sequence_number, record.data, record.arrival) for record in own_s3.archived_records()
    )


def test_every_record_is_archived_once_in_firehose_layout_and_a_rerun_adds_nothing(
    stream, own_s3, archive_all, settings
) -> None:
    settings.ARCHIVE_BUFFER_BYTES = 4_000
    settings.ARCHIVE_BUFFER_SECONDS = 60
    settings.ARCHIVE_BATCH_LIMIT = 50
    faults = FaultPlan(malformed=5, wrong_types=4, unknown_session=3, late=0, duplicates=6)
    simulator = GameSimulator(session_id=SESSION_ID, players=12, faults=faults, seed=4)
    simulation_run(simulator=simulator, kinesis=aws_client("kinesis"), stream_name=stream, count=600, rate=5000)
    # A record that is not UTF-8 at all: its bytes must still come back exactly.
    aws_client("kinesis").put_record(StreamName=stream, Data=b"\xff\xfe\x00binary", PartitionKey="x")

    archive_all(stream, seconds=3)

    # By size: 4,000-byte objects, and the tail (under 4,000 bytes, younger than a minute) waits.
    sizes = {key: len(gzip.decompress(item["body"])) for key, item in own_s3.objects().items()}
    assert len(sizes) >= 4
    archived = _archived(own_s3)
    assert 0 < len(_stream_records(stream) - archived) < 100
    # By time: once the tail is older than the buffer's age limit, it goes too.
    settings.ARCHIVE_BUFFER_SECONDS = 0.5
    archive_all(stream, seconds=2)

    objects = own_s3.objects()
    for key, item in objects.items():
        match = KEY.match(key)
        assert match, key
        assert match["stream"] == stream
        assert int(match["first"]) <= int(match["last"])
        assert next((r.shard_id, r.sequence_number) for r in records_decode(item["body"])) == (
            match["shard"],
            int(match["first"]),
        )
    assert _archived(own_s3) == _stream_records(stream)
    assert max(_archived(own_s3).values()) == 1

    keys_before = set(objects)
    archive_all(stream, seconds=1.5)  # nothing new on the stream: nothing new in S3
    assert set(own_s3.objects()) == keys_before
    checkpoints = {
        lease.shard_id: int(lease.checkpoint)
        for lease in ShardLease.objects.filter(stream_name=stream, consumer=LeaseConsumer.ARCHIVE)
    }
    assert checkpoints == {
        shard: max(seq for (s, seq, _, _) in _stream_records(stream) if s == shard) for shard in checkpoints
    }


def test_objects_are_named_by_the_arrival_hour_of_their_oldest_record(stream, own_s3, archive_all, settings) -> None:
    settings.ARCHIVE_BUFFER_SECONDS = 0  # every read becomes an object
    kinesis = aws_client("kinesis")
    kinesis.put_record(StreamName=stream, Data=b'{"a": 1}', PartitionKey="p")
    archive_all(stream, seconds=1.5)
    (key,) = own_s3.objects()
    (record,) = own_s3.archived_records()
    arrival = record.arrival.astimezone(UTC)
    assert key.startswith(f"raw/{arrival:%Y/%m/%d/%H}/{stream}-1-{arrival:%Y-%m-%d-%H-%M-%S}-{record.shard_id}-")


@pytest.mark.slow
def test_an_s3_outage_in_the_middle_loses_nothing_and_duplicates_nothing(stream, own_s3, settings) -> None:
    settings.ARCHIVE_BUFFER_BYTES = 6_000
    settings.ARCHIVE_BUFFER_SECONDS = 0.5
    settings.ARCHIVE_BATCH_LIMIT = 100
    settings.STREAM_LEASE_SECONDS = 3
    kinesis = aws_client("kinesis")
    shards_sync(kinesis=kinesis, stream_name=stream, consumer=LeaseConsumer.ARCHIVE)
    stop = threading.Event()
    summaries = []

    def archive(shard_id: str) -> None:
        from django.db import connection

        try:
            while not stop.is_set():
                summaries.append(
                    shard_archive(
                        kinesis=kinesis,
                        s3=own_s3.client,
                        stream_name=stream,
                        shard_id=shard_id,
                        owner=f"t-{shard_id}",
                        seconds=4,
                        stop=stop.is_set,
                        bucket=own_s3.bucket,
                        prefix="raw/",
                    )
                )
        finally:
            connection.close()

    workers = [
        threading.Thread(target=archive, args=(shard["ShardId"],))
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]
    ]
    for worker in workers:
        worker.start()
    faults = FaultPlan(malformed=6, wrong_types=4, unknown_session=4, duplicates=8)
    simulator = GameSimulator(session_id=SESSION_ID, players=30, faults=faults, seed=9)
    producer = threading.Thread(
        target=simulation_run,
        kwargs={"simulator": simulator, "kinesis": kinesis, "stream_name": stream, "count": 3000, "rate": 400},
    )
    producer.start()
    try:
        time.sleep(2.5)
        own_s3.freeze()  # S3 stops answering in the middle of the session
        failures_during_outage = 0
        outage_ends = time.monotonic() + 30
        while time.monotonic() < outage_ends and failures_during_outage < 2:
            time.sleep(0.5)
            failures_during_outage = sum(
                ArchiveShardState.objects.filter(lease__stream_name=stream).values_list("upload_failures", flat=True)
            )
        own_s3.thaw()
        producer.join()
        expected = _stream_records(stream)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _archived(own_s3) != expected:
            time.sleep(1)
    finally:
        own_s3.thaw()
        stop.set()
        for worker in workers:
            worker.join(timeout=30)

    assert failures_during_outage >= 2  # the outage was felt (puts timed out and were retried) ...
    archived = _archived(own_s3)
    assert archived == expected  # ... and every record is there, byte for byte, exactly once
    assert max(archived.values()) == 1
    states = ArchiveShardState.objects.filter(lease__stream_name=stream)
    assert all(state.pending_last_sequence is None and state.last_upload_at is not None for state in states)
    assert datetime.now(UTC) - max(state.last_upload_at for state in states) < timedelta(minutes=2)


def _archive_worker(stream: str, prefix: str, tag: str) -> subprocess.Popen:  # type: ignore[type-arg]
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "KINESIS_STREAM_NAME": stream,
        "ARCHIVE_PREFIX": prefix,
        "ARCHIVE_BUFFER_SECONDS": "0.3",
        "ARCHIVE_BUFFER_BYTES": "3000",
        "ARCHIVE_BATCH_LIMIT": "60",
        "ARCHIVE_MIN_CALL_SECONDS": "0.2",  # no drain beside it here: Kinesis' whole 5 reads a second
        "STREAM_LEASE_SECONDS": "2",
        "STREAM_SYNC_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.test",
        "DJANGO_READ_DOT_ENV": "0",
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{stream}-{tag}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "archive_drain", "--seconds", "60"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_archive_workers_killed_at_any_point_leave_every_record_in_s3_exactly_once(stream, settings) -> None:
    prefix = f"{stream}/"
    kinesis = aws_client("kinesis")
    faults = FaultPlan(malformed=5, unknown_session=5, duplicates=10)
    simulator = GameSimulator(session_id=SESSION_ID, players=20, faults=faults, seed=21)
    producer = threading.Thread(
        target=simulation_run,
        kwargs={"simulator": simulator, "kinesis": kinesis, "stream_name": stream, "count": 2500, "rate": 500},
    )
    producer.start()
    rng = random.Random(8)
    kills = 0
    puts_before_kill = 0
    while producer.is_alive() or kills < 6:
        racing = [_archive_worker(stream, prefix, f"a{kills}"), _archive_worker(stream, prefix, f"b{kills}")]
        logs = [LOG_DIR / f"{stream}-a{kills}.log", LOG_DIR / f"{stream}-b{kills}.log"]
        started = time.monotonic()
        # Kill them while they work, not while Django starts (seconds on this loaded machine).
        while time.monotonic() - started < 30 and not any(
            "archive_object_put" in log.read_text(errors="replace") for log in logs
        ):
            time.sleep(0.1)
        time.sleep(rng.uniform(0.0, 1.5))
        for worker in racing:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
        puts_before_kill += sum(log.read_text(errors="replace").count("archive_object_put") for log in logs)
    producer.join()
    final = _archive_worker(stream, prefix, "final")
    expected = _stream_records(stream)
    s3 = aws_client("s3")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            archived = _bucket_records(s3, settings.ARCHIVE_BUCKET, prefix)
            if archived == expected:
                break
            time.sleep(1)
    finally:
        final.send_signal(signal.SIGKILL)
        final.wait()
    assert kills >= 6
    assert puts_before_kill >= 6
    assert archived == expected
    assert max(archived.values()) == 1


def _bucket_records(s3, bucket: str, prefix: str) -> Counter:  # type: ignore[no-untyped-def, type-arg]
    found: Counter = Counter()  # type: ignore[type-arg]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found.update((r.shard_id, r.sequence_number, r.data, r.arrival) for r in records_decode(body))
    return found


def test_the_archive_holds_its_own_lease_beside_the_drain_and_reports_lag_and_last_upload(
    stream, own_s3, archive_all, settings
) -> None:
    settings.ARCHIVE_BUFFER_SECONDS = 0
    kinesis = aws_client("kinesis")
    simulator = GameSimulator(session_id=SESSION_ID, players=5, seed=2)
    simulation_run(simulator=simulator, kinesis=kinesis, stream_name=stream, count=200, rate=5000)
    for lease in shards_sync(kinesis=kinesis, stream_name=stream):  # the drain's leases, held
        assert lease_acquire(stream_name=stream, shard_id=lease.shard_id, owner="drain-worker") is not None
    assert archive_status(stream_name=stream).last_upload_at is None

    archive_all(stream, seconds=1.5)

    status = archive_status(stream_name=stream)
    assert status.enabled
    assert len(status.shards) == 2
    assert sum(shard.records_archived for shard in status.shards) == 200
    assert sum(shard.objects_uploaded for shard in status.shards) == len(own_s3.objects())
    assert status.last_upload_at is not None
    assert datetime.now(UTC) - status.last_upload_at < timedelta(minutes=1)
    assert status.lag_seconds is not None
    assert status.lag_seconds < 30
    drain_owners = set(
        ShardLease.objects.filter(stream_name=stream, consumer=LeaseConsumer.DRAIN).values_list("owner", flat=True)
    )
    assert drain_owners == {"drain-worker"}  # the drain's leases were never touched

    settings.ARCHIVE_CONSUMER_ENABLED = False  # a real Firehose archives the stream
    settings.KINESIS_STREAM_NAME = stream
    assert archive_shards_sync() == []
