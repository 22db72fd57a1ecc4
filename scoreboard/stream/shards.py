"""Shard discovery (ListShards) and the parent-before-child order in which shards may be read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Max, Q
from django.utils import timezone

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


@dataclass(frozen=True, slots=True)
class StreamIncarnation:
    """One life of a stream name: deleted and created again, the same name (and ARN) is a new stream."""

    arn: str
    created_at: datetime


def stream_incarnation(*, kinesis: Any, stream_name: str) -> StreamIncarnation:
    """Return the stream's ARN and creation time (DescribeStreamSummary), which together identify it."""
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    return StreamIncarnation(arn=summary["StreamARN"], created_at=summary["StreamCreationTimestamp"])


# Leases written before incarnations were recorded name none. Such a lease is adopted by the
# stream as it exists now only if it was checkpointed after that stream was created, by more than
# any plausible clock difference between AWS and us: then the checkpoint can only come from this
# stream (the old one was gone by then). Otherwise it is retired, and the shard is read again from
# its beginning. Re-reading is the safe side: standings only move to newer snapshots, and events
# and dead letters are unique per record (incarnation, shard, sequence number; rows written before
# migration scoreboard.0011 carry the incarnation that was newest then), so a record read twice
# changes none of them (the
# after-closing discard counter and the S3 archive would see it again); adopting a checkpoint of an
# earlier incarnation would silently skip every record of this one up to that sequence number.
ADOPTION_CLOCK_MARGIN = timedelta(seconds=60)


def shards_sync(*, kinesis: Any, stream_name: str, consumer: str = LeaseConsumer.DRAIN) -> list[ShardLease]:
    """Create a lease for every new shard and record which shards closed; return the live leases.

    Leases belong to the stream's current incarnation: when the stream was created again under the
    same name, the previous incarnation's leases are retired (their counter moved, so a worker still
    holding one can commit nothing more) and its shards start again from TRIM_HORIZON.
    """
    incarnation = stream_incarnation(kinesis=kinesis, stream_name=stream_name)
    listed = shards_list(kinesis=kinesis, stream_name=stream_name)
    leases = ShardLease.objects.filter(stream_name=stream_name, consumer=consumer)
    adopted = leases.filter(
        stream_created_at__isnull=True,
        retired_at__isnull=True,
        checkpoint_at__gte=incarnation.created_at + ADOPTION_CLOCK_MARGIN,
    ).update(stream_arn=incarnation.arn, stream_created_at=incarnation.created_at)
    newest = leases.aggregate(newest=Max("stream_created_at"))["newest"]
    if newest is not None and newest > incarnation.created_at:
        # Our DescribeStreamSummary answered before a re-creation that another sync already saw.
        logger.warning("shards_sync_stale stream=%s created=%s", stream_name, incarnation.created_at.isoformat())
        return []
    known = {lease.shard_id: lease for lease in leases.live().filter(stream_created_at=incarnation.created_at)}
    for shard in listed:
        shard_id = shard["ShardId"]
        parents = [shard[key] for key in ("ParentShardId", "AdjacentParentShardId") if shard.get(key)]
        numbers = shard.get("SequenceNumberRange", {})
        ending = numbers.get("EndingSequenceNumber")
        lease = known.get(shard_id)
        if lease is None:
            lease, _ = ShardLease.objects.get_or_create(
                stream_name=stream_name,
                stream_created_at=incarnation.created_at,
                shard_id=shard_id,
                consumer=consumer,
                defaults={
                    "stream_arn": incarnation.arn,
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
    # After the new leases exist: lease_acquire only ever takes the newest incarnation's leases,
    # and retiring moves the counter like any takeover, so a worker still holding an old lease
    # commits nothing more (the fencing argument of scoreboard/stream/persist.py, unchanged).
    retired = (
        leases.live()
        .filter(Q(stream_created_at__lt=incarnation.created_at) | Q(stream_created_at__isnull=True))
        .update(retired_at=timezone.now(), owner="", expires_at=None, counter=F("counter") + 1)
    )
    if adopted or retired:
        logger.info(
            "stream_incarnation stream=%s consumer=%s created=%s adopted=%d retired=%d",
            stream_name,
            consumer,
            incarnation.created_at.isoformat(),
            adopted,
            retired,
        )
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
