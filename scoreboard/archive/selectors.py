"""Reads of the raw archive: how far behind the stream it is and when it last put an object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from scoreboard.archive.models import ArchiveShardState
from scoreboard.models import LeaseConsumer, ShardLease


@dataclass(frozen=True, slots=True)
class ArchiveShardStatus:
    shard_id: str
    owner: str
    finished: bool
    checkpoint: int | None
    last_upload_at: datetime | None
    last_key: str
    objects_uploaded: int
    records_archived: int
    bytes_archived: int
    upload_failures: int
    last_error: str
    pending_key: str
    lag_seconds: float | None


@dataclass(frozen=True, slots=True)
class ArchiveStatus:
    """The archive as the health dashboard and the reports API show it."""

    enabled: bool
    stream_name: str
    bucket: str
    last_upload_at: datetime | None
    # How old the oldest record not yet in S3 may be, in seconds (None: the archive never read).
    lag_seconds: float | None
    shards: list[ArchiveShardStatus]


# A working consumer measures every few seconds; a hand-over between two tasks takes up to a
# lease TTL plus a beat period. Older than this, a measurement no longer vouches for the archive.
MEASUREMENT_GRACE_SECONDS = 30.0


def _lag(state: ArchiveShardState | None, now: datetime) -> float | None:
    """Seconds the shard's archive is behind: the oldest record read but not in S3, else the read lag.

    A stale measurement (the consumer stopped) adds its age beyond the grace period, so a dead
    archive shows a lag that keeps growing instead of its last good figure.
    """
    if state is None or state.measured_at is None:
        return None
    if state.oldest_unarchived_at is not None:
        return max(0.0, (now - state.oldest_unarchived_at).total_seconds())
    stale = max(0.0, (now - state.measured_at).total_seconds() - MEASUREMENT_GRACE_SECONDS)
    return (state.millis_behind_latest or 0) / 1000 + stale


def archive_status(*, stream_name: str | None = None) -> ArchiveStatus:
    """Return the archive's lag and last successful upload, overall and per shard."""
    stream = stream_name or settings.KINESIS_STREAM_NAME
    now = timezone.now()
    leases = (
        ShardLease.objects.live()  # a replaced stream incarnation's leases are history
        .filter(stream_name=stream, consumer=LeaseConsumer.ARCHIVE)
        .select_related("archive_state")
        .order_by("shard_id")
    )
    shards: list[ArchiveShardStatus] = []
    for lease in leases:
        state: ArchiveShardState | None = getattr(lease, "archive_state", None)
        shards.append(
            ArchiveShardStatus(
                shard_id=lease.shard_id,
                owner=lease.owner,
                finished=lease.finished,
                checkpoint=int(lease.checkpoint) if lease.checkpoint is not None else None,
                last_upload_at=state.last_upload_at if state else None,
                last_key=state.last_key if state else "",
                objects_uploaded=state.objects_uploaded if state else 0,
                records_archived=state.records_archived if state else 0,
                bytes_archived=state.bytes_archived if state else 0,
                upload_failures=state.upload_failures if state else 0,
                last_error=state.last_error if state else "",
                pending_key=state.pending_key if state else "",
                lag_seconds=None if lease.finished else _lag(state, now),
            )
        )
    uploads = [shard.last_upload_at for shard in shards if shard.last_upload_at is not None]
    lags = [shard.lag_seconds for shard in shards if shard.lag_seconds is not None]
    return ArchiveStatus(
        enabled=settings.ARCHIVE_CONSUMER_ENABLED,
        stream_name=stream,
        bucket=settings.ARCHIVE_BUCKET,
        last_upload_at=max(uploads) if uploads else None,
        lag_seconds=max(lags) if lags else None,
        shards=shards,
    )
