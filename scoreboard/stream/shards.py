"""Shard discovery (ListShards) and the parent-before-child order in which shards may be read."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from scoreboard.models import LeaseConsumer, ShardLease, ShardMetrics

logger = logging.getLogger(__name__)


def shards_list(*, kinesis: Any, stream_name: str) -> list[dict[str, Any]]:
    """Return every shard of the stream, open and closed, following ListShards' pagination."""
    shards: list[dict[str, Any]] = []
    response = kinesis.list_shards(StreamName=stream_name)
    shards.extend(response["Shards"])
    while response.get("NextToken"):
        response = kinesis.list_shards(NextToken=response["NextToken"])
        shards.extend(response["Shards"])
    return shards


def shards_sync(*, kinesis: Any, stream_name: str, consumer: str = LeaseConsumer.DRAIN) -> list[ShardLease]:
    """Create a lease for every new shard and record which shards closed; return all leases."""
    known = {lease.shard_id: lease for lease in ShardLease.objects.filter(stream_name=stream_name, consumer=consumer)}
    for shard in shards_list(kinesis=kinesis, stream_name=stream_name):
        shard_id = shard["ShardId"]
        parents = [shard[key] for key in ("ParentShardId", "AdjacentParentShardId") if shard.get(key)]
        numbers = shard.get("SequenceNumberRange", {})
        ending = numbers.get("EndingSequenceNumber")
        lease = known.get(shard_id)
        if lease is None:
            lease, _ = ShardLease.objects.get_or_create(
                stream_name=stream_name,
                shard_id=shard_id,
                consumer=consumer,
                defaults={
                    "parent_shard_ids": parents,
                    "starting_sequence_number": numbers.get("StartingSequenceNumber"),
                    "ending_sequence_number": ending,
                },
            )
            if consumer == LeaseConsumer.DRAIN:  # the archive keeps its figures in ArchiveShardState
                ShardMetrics.objects.get_or_create(lease=lease)
            known[shard_id] = lease
            logger.info(
                "shard_discovered stream=%s shard=%s consumer=%s parents=%s", stream_name, shard_id, consumer, parents
            )
        elif ending is not None and lease.ending_sequence_number is None:
            # The shard closed (split or merge): it is read to this number, then its children start.
            ShardLease.objects.filter(pk=lease.pk).update(ending_sequence_number=ending)
            lease.ending_sequence_number = ending
            logger.info("shard_closed stream=%s shard=%s ending=%s", stream_name, shard_id, ending)
    return sorted(known.values(), key=lambda lease: lease.shard_id)


def shards_drainable(*, leases: list[ShardLease]) -> list[ShardLease]:
    """Return the unfinished shards whose parents are all finished (or no longer listed: trimmed)."""
    by_id = {lease.shard_id: lease for lease in leases}
    return [
        lease
        for lease in leases
        if not lease.finished and all(by_id[parent].finished for parent in lease.parent_shard_ids if parent in by_id)
    ]


def shards_unclaimed(*, leases: list[ShardLease], now: datetime) -> list[ShardLease]:
    """Return the drainable shards that no worker holds (never leased, or the lease expired)."""
    return [
        lease
        for lease in shards_drainable(leases=leases)
        if not lease.owner or lease.expires_at is None or lease.expires_at < now
    ]
