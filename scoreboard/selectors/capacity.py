"""Capacity and cost of the stream: shard utilisation against Kinesis' limits, reshard advice, monthly cost.

Limits are Kinesis' documented per-shard quotas (FACTS.md); prices come from settings.AWS_PRICES
(public list prices as defaults, with their source). Rates are the sampled per-shard throughput
of scoreboard.selectors.pipeline, so "stays high" means over the whole throughput window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from scoreboard.selectors.pipeline import ShardFigures, pipeline_shard_figures
from scoreboard.stream.consumer import IDLE_CALL_INTERVAL, MIN_CALL_INTERVAL

# Kinesis Data Streams per-shard quotas (provisioned mode).
WRITE_RECORDS_PER_SECOND = 1_000
WRITE_BYTES_PER_SECOND = 1024 * 1024
READ_CALLS_PER_SECOND = 5
READ_BYTES_PER_SECOND = 2 * 1024 * 1024
# Above this share of a limit a shard should be split; below the low mark shards could merge.
SPLIT_AT = 0.8
MERGE_BELOW = 0.2
SECONDS_PER_MONTH = 30 * 24 * 3600
# The original client sends a status at most every 300 ms (FACTS.md): a full session's load.
CLIENT_CADENCE_SECONDS = 0.3
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024


@dataclass(frozen=True, slots=True)
class ShardCapacity:
    shard: ShardFigures
    records_per_second: float
    bytes_per_second: float
    write_records_share: float  # of 1,000 records/s
    write_bytes_share: float  # of 1 MiB/s
    read_bytes_share: float  # of 2 MiB/s, every consumer's reads together
    read_calls_per_second: float  # by the consumers' pacing: 5/s while busy, 1/s idle, per consumer
    read_calls_share: float  # of 5 GetRecords/s

    @property
    def utilisation(self) -> float:
        """The highest share of any limit: what decides whether the shard is too small."""
        return max(self.write_records_share, self.write_bytes_share, self.read_bytes_share)


@dataclass(frozen=True, slots=True)
class Advice:
    action: str  # "split", "merge" or "keep"
    target_shards: int
    reason: str


@dataclass(frozen=True, slots=True)
class CostLine:
    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float


@dataclass(frozen=True)
class StreamCapacity:
    at: datetime
    shards: list[ShardCapacity]
    records_per_second: float
    bytes_per_second: float
    advice: Advice
    session_shards_needed: int  # for a full session of settings.CAPACITY_SESSION_SEATS at the client's cadence
    cost: list[CostLine]
    idle_calls_per_second: float  # per shard and consumer, by the drain's pacing
    read_calls_warning: str  # set when the consumers together poll above 5 GetRecords/s per shard

    @property
    def monthly_total(self) -> float:
        return sum(line.monthly for line in self.cost)


def shards_needed(*, records_per_second: float, bytes_per_second: float) -> int:
    """Return how many shards carry this load with every shard below the split mark."""
    by_records = records_per_second / (WRITE_RECORDS_PER_SECOND * SPLIT_AT)
    by_bytes = bytes_per_second / (WRITE_BYTES_PER_SECOND * SPLIT_AT)
    return max(1, math.ceil(max(by_records, by_bytes)))


def reshard_advice(*, shards: list[ShardCapacity], records_per_second: float, bytes_per_second: float) -> Advice:
    """Split when a shard stays above 80 % of a limit, merge when every shard stays below 20 %."""
    open_shards = [shard for shard in shards if not shard.shard.finished]
    count = len(open_shards)
    if not count:
        return Advice("keep", 0, "No open shard yet.")
    needed = shards_needed(records_per_second=records_per_second, bytes_per_second=bytes_per_second)
    busiest = max(open_shards, key=lambda shard: shard.utilisation)
    if busiest.utilisation >= SPLIT_AT:
        return Advice(
            "split",
            max(needed, count + 1),
            f"{busiest.shard.shard_id} ran at {busiest.utilisation:.0%} of a Kinesis limit over the last window.",
        )
    if count > 1 and all(shard.utilisation < MERGE_BELOW for shard in open_shards):
        return Advice("merge", needed, f"Every shard stayed below {MERGE_BELOW:.0%} of its limits.")
    return Advice("keep", count, f"The busiest shard ran at {busiest.utilisation:.0%} of a limit.")


def monthly_cost(*, shards: int, records_per_second: float, bytes_per_second: float) -> list[CostLine]:
    """Estimate a month of the stream, the raw archive and the portal's AWS calls at these rates."""
    prices = settings.AWS_PRICES
    records = records_per_second * SECONDS_PER_MONTH
    record_bytes = bytes_per_second / records_per_second if records_per_second else 0.0
    put_units = records * max(1, math.ceil(record_bytes / PUT_PAYLOAD_UNIT_BYTES)) if records else 0.0
    archived_gb = bytes_per_second * SECONDS_PER_MONTH * settings.CAPACITY_ARCHIVE_COMPRESSION / 1024**3
    archive_objects = shards * settings.CAPACITY_ARCHIVE_OBJECTS_PER_SHARD_HOUR * 24 * 30
    lines = [
        ("Kinesis shard hours", shards * 24 * 30, "shard-hour", prices["kinesis_shard_hour"]),
        ("Kinesis PUT payload units", put_units / 1e6, "million units", prices["kinesis_put_million_units"]),
        ("S3 archive storage added", archived_gb, "GB-month", prices["s3_gb_month"]),
        ("S3 archive PUT requests", archive_objects / 1000, "thousand requests", prices["s3_put_thousand"]),
        # Beat's ListShards every few seconds and SSM writes per session change: free API tiers.
        ("SSM parameter (standard) and ListShards", 0, "calls", 0.0),
    ]
    return [CostLine(item, quantity, unit, price, quantity * price) for item, quantity, unit, price in lines]


def stream_capacity(*, now: datetime) -> StreamCapacity:
    """Return each shard's use of Kinesis' limits, reshard advice and the month's estimated cost."""
    consumers = settings.CAPACITY_STREAM_CONSUMERS
    shards = []
    for figures in pipeline_shard_figures(now=now, stream_name=settings.KINESIS_STREAM_NAME):
        records = figures.records_per_second or 0.0
        size = figures.bytes_per_second or 0.0
        calls = consumers / (MIN_CALL_INTERVAL if records > 0 else IDLE_CALL_INTERVAL)
        shards.append(
            ShardCapacity(
                shard=figures,
                records_per_second=records,
                bytes_per_second=size,
                write_records_share=records / WRITE_RECORDS_PER_SECOND,
                write_bytes_share=size / WRITE_BYTES_PER_SECOND,
                read_bytes_share=size * consumers / READ_BYTES_PER_SECOND,
                read_calls_per_second=calls,
                read_calls_share=calls / READ_CALLS_PER_SECOND,
            )
        )
    total_records = sum(shard.records_per_second for shard in shards)
    total_bytes = sum(shard.bytes_per_second for shard in shards)
    open_count = sum(1 for shard in shards if not shard.shard.finished) or settings.KINESIS_SHARD_COUNT
    session_rate = settings.CAPACITY_SESSION_SEATS / CLIENT_CADENCE_SECONDS
    average_record = total_bytes / total_records if total_records else settings.CAPACITY_RECORD_BYTES
    return StreamCapacity(
        at=now,
        shards=shards,
        records_per_second=total_records,
        bytes_per_second=total_bytes,
        advice=reshard_advice(shards=shards, records_per_second=total_records, bytes_per_second=total_bytes),
        session_shards_needed=shards_needed(
            records_per_second=session_rate, bytes_per_second=session_rate * average_record
        ),
        cost=monthly_cost(shards=open_count, records_per_second=total_records, bytes_per_second=total_bytes),
        idle_calls_per_second=1 / IDLE_CALL_INTERVAL,
        read_calls_warning=(
            f"{consumers} consumers polling a busy shard every {MIN_CALL_INTERVAL:g} s make "
            f"{consumers / MIN_CALL_INTERVAL:g} GetRecords/s, above Kinesis' {READ_CALLS_PER_SECOND}/s per shard: "
            "expect ProvisionedThroughputExceeded back-offs (more shards do not help; slower pacing or "
            "enhanced fan-out do)."
            if any(shard.read_calls_share > 1 for shard in shards)
            else ""
        ),
    )
