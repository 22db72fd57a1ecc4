"""Replay benchmark, part of `make bench`: records/s rebuilt from archive objects through the drain's write path."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BUCKET = "bench-archive"


def replay_throughput(
    *, count: int, players: int, batches: Callable[..., Any], reset: Callable[[], Any], log_dir: Path
) -> dict[str, Any]:
    """Put `count` records in S3 (moto) as the archive consumer would, empty the database, time a full replay.

    The objects hold the same GetRecords-shaped batches the drain's throughput figure uses, one
    object per batch of 10,000 (about 1.4 MB before gzip); the replay reads, decompresses and
    decodes them, then routes and writes them with the drain's own code (events, standings,
    Redis index), committing batch by batch.
    """
    import boto3
    from django.conf import settings

    from alienportal.devstack.services import MOTO_CREDENTIALS, moto_start
    from scoreboard.archive.objects import (
        FORMAT_JSONL,
        FORMAT_METADATA_KEY,
        ArchivedRecord,
        object_key,
        records_encode,
    )
    from scoreboard.archive.replay import ReplayScope, archive_replay

    moto = moto_start(log_dir=log_dir)
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=moto.url,
            region_name=settings.AWS_REGION,
            aws_access_key_id=MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket=BUCKET)
        arrival = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
        for shard, batch in batches(count=count, players=players, seed=1):
            records = [ArchivedRecord(shard, record.sequence_number, arrival, record.data) for record in batch]
            key = object_key(
                prefix="",
                stream_name="bench",
                shard_id=shard,
                first=records[0].sequence_number,
                last=records[-1].sequence_number,
                arrival=arrival,
            )
            s3.put_object(
                Bucket=BUCKET, Key=key, Body=records_encode(records), Metadata={FORMAT_METADATA_KEY: FORMAT_JSONL}
            )
        reset()
        started = time.perf_counter()
        summary = archive_replay(scope=ReplayScope(), s3=s3, bucket=BUCKET, prefix="")
        seconds = time.perf_counter() - started
    finally:
        moto.stop()
    return {
        "records": summary.records,
        "objects": summary.objects,
        "events_new": summary.events_new,
        "seconds": seconds,
        "records_per_s": summary.records / seconds,
    }
