"""Kinesis streams of a test's own on the suite's moto server."""

from __future__ import annotations

from alienportal.aws import aws_client
from scoreboard.stream.consumer import shard_drain
from scoreboard.stream.shards import shards_drainable, shards_sync


def stream_create(name: str, *, shards: int) -> None:
    """Create the stream `name` with `shards` shards and wait until it exists."""
    kinesis = aws_client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})


def stream_recreate(name: str, *, shards: int) -> None:
    """Delete the stream `name` and create it again under the same name (a new incarnation)."""
    kinesis = aws_client("kinesis")
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    stream_create(name, shards=shards)


def drain_all(stream: str, seconds: float = 2.5) -> None:
    """Drain every readable shard of `stream` once, for `seconds` each, in this thread."""
    kinesis = aws_client("kinesis")
    for lease in shards_drainable(leases=shards_sync(kinesis=kinesis, stream_name=stream)):
        shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="test", seconds=seconds)
