"""Shard leases: one holder per shard, taken over when it expires, fenced by a growing counter."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scoreboard.models import INCARNATION_UNKNOWN, LeaseConsumer, ShardLease, WorkerHeartbeat


class LeaseLost(Exception):
    """The shard's lease is no longer ours (taken over or released): the batch was not committed."""


@dataclass(frozen=True, slots=True)
class Fence:
    """The lease a batch is committed under: its row, its counter at acquisition and our name.

    `stream_created_at` is the lease's stream incarnation (None on a lease written before they
    were recorded): the rows a batch writes name it, with their shard and sequence number.
    """

    lease_pk: int
    counter: int
    owner: str
    stream_name: str
    shard_id: str
    stream_created_at: datetime | None = None

    @property
    def incarnation(self) -> datetime:
        """The incarnation the batch's rows are written under (INCARNATION_UNKNOWN if the lease names none)."""
        return self.stream_created_at or INCARNATION_UNKNOWN


def worker_name() -> str:
    """Return a name unique to this process and call, for lease ownership and heartbeats."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_acquire(
    *,
    stream_name: str,
    shard_id: str,
    owner: str,
    seconds: float | None = None,
    consumer: str = LeaseConsumer.DRAIN,
) -> Fence | None:
    """Take the shard's lease if it is free or expired; return the fence, or None if someone holds it.

    The conditional UPDATE is atomic: of two workers racing, the second re-checks the row after
    the first commits and finds it held. Incrementing the counter fences off the previous holder.
    Only a lease of the newest incarnation of the stream that shards_sync has seen is taken: never
    a retired one, nor one of an incarnation a newer one replaced (shards_sync retires those).
    """
    now = timezone.now()
    ttl = timedelta(seconds=seconds if seconds is not None else settings.STREAM_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoreboard_shardlease SET owner = %s, counter = counter + 1, expires_at = %s"
            " WHERE stream_name = %s AND shard_id = %s AND consumer = %s AND finished = %s"
            " AND retired_at IS NULL AND stream_created_at IS NOT DISTINCT FROM"
            " (SELECT MAX(newest.stream_created_at) FROM scoreboard_shardlease newest"
            "  WHERE newest.stream_name = %s AND newest.consumer = %s)"
            " AND (owner = '' OR expires_at IS NULL OR expires_at < %s)"
            " RETURNING id, counter, stream_created_at",
            [owner, now + ttl, stream_name, shard_id, str(consumer), False, stream_name, str(consumer), now],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Fence(
        lease_pk=row[0],
        counter=row[1],
        owner=owner,
        stream_name=stream_name,
        shard_id=shard_id,
        stream_created_at=_datetime(row[2]),
    )


def _datetime(value: datetime | str | None) -> datetime | None:
    """A timestamp from a raw query: PostgreSQL gives a datetime, SQLite its text (UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def lease_renew(*, fence: Fence, seconds: float | None = None) -> bool:
    """Extend our lease; False means it is no longer ours and the caller must stop."""
    ttl = timedelta(seconds=seconds if seconds is not None else settings.STREAM_LEASE_SECONDS)
    return bool(
        ShardLease.objects.filter(pk=fence.lease_pk, counter=fence.counter, owner=fence.owner).update(
            expires_at=timezone.now() + ttl
        )
    )


def lease_release(*, fence: Fence) -> bool:
    """Give the lease up at once, so another worker need not wait for it to expire."""
    return bool(
        ShardLease.objects.filter(pk=fence.lease_pk, counter=fence.counter, owner=fence.owner).update(
            owner="", expires_at=None
        )
    )


def lease_finish(*, fence: Fence) -> bool:
    """Mark a closed shard read to its end, which lets its children start, and release it."""
    return bool(
        ShardLease.objects.filter(pk=fence.lease_pk, counter=fence.counter, owner=fence.owner).update(
            finished=True, owner="", expires_at=None
        )
    )


def lease_checkpoint(*, fence: Fence) -> int | None:
    """Return the checkpoint (last committed sequence number) of the shard, as an integer."""
    value = ShardLease.objects.filter(pk=fence.lease_pk).values_list("checkpoint", flat=True).first()
    return int(value) if value is not None else None


def heartbeat_beat(*, worker: str, shard_id: str) -> None:
    """Record that `worker` is alive and working on `shard_id`."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker,
        defaults={"shard_id": shard_id, "beat_at": now},
        create_defaults={"shard_id": shard_id, "beat_at": now, "started_at": now},
    )
