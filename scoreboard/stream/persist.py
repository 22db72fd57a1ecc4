"""The fenced batch transaction: a routed batch's rows and the shard's checkpoint, all or nothing.

The checkpoint is written in the same transaction as the rows, and that write is fenced on the
lease counter: a crash at any point neither loses nor double-counts a record, and a worker that
lost its lease cannot commit anything. The steps live beside it: routing.py decides where each
record goes, writer_postgresql.py / writer_sqlite.py write events and standings, publish.py
updates Redis after the commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from scoreboard.cheats import Limits
from scoreboard.models import DEAD_LETTER_DATA_BYTES, DeadLetter
from scoreboard.ranking import RankingChange
from scoreboard.stream.flags import cheat_flags_batch
from scoreboard.stream.leases import Fence, LeaseLost
from scoreboard.stream.publish import live_publish_on_commit, ranking_after_commit
from scoreboard.stream.routing import RoutedBatch, StreamRecord, batch_route
from scoreboard.stream.writer_postgresql import accepted_write_postgresql
from scoreboard.stream.writer_sqlite import accepted_write_sqlite
from sessions.services import seats_release_finished

logger = logging.getLogger(__name__)

# The unique constraint of a score event's identity (models.ScoreEvent).
EVENT_IDENTITY = "score_event_one_per_record_of_stream"


@dataclass
class BatchOutcome:
    records: int = 0
    bytes: int = 0
    events: int = 0
    dead_letters: int = 0
    discarded: int = 0
    standings_changed: int = 0
    checkpoint: int | None = None
    changes: list[RankingChange] = field(default_factory=list)
    # Its events went in without ON CONFLICT: the checkpoint it replaced proved them new.
    events_proven_new: bool = False


def batch_persist(
    *,
    fence: Fence,
    records: Sequence[StreamRecord],
    millis_behind_latest: int | None = None,
    lease_seconds: float | None = None,
    routed: RoutedBatch | None = None,
) -> BatchOutcome:
    """Persist a non-empty batch and advance the checkpoint to its last record, all or nothing.

    `routed` is the batch already decoded and routed (batch_route), e.g. on another thread.
    Raises LeaseLost (nothing committed) when the lease counter moved on.
    """
    if not records:
        raise ValueError("an empty batch has nothing to commit")
    if routed is None:
        routed = batch_route(shard_id=fence.shard_id, records=records)
    checkpoint = max(record.sequence_number for record in records)
    outcome = BatchOutcome(
        records=len(records),
        bytes=sum(len(record.data) for record in records),
        checkpoint=checkpoint,
    )
    ttl = timedelta(seconds=lease_seconds if lease_seconds is not None else settings.STREAM_LEASE_SECONDS)
    first = min(record.sequence_number for record in records)
    try:
        _batch_commit(fence, routed, outcome, first=first, millis_behind_latest=millis_behind_latest, ttl=ttl)
    except IntegrityError as error:
        if not outcome.events_proven_new or EVENT_IDENTITY not in str(error):
            raise
        # An event of the batch was there after all: written ahead of the drain by another writer
        # (an archive replay). The whole transaction rolled back; write it again, skipping those.
        logger.warning("events_present_after_checkpoint shard=%s first=%s", fence.shard_id, first)
        outcome.events_proven_new = False
        _batch_commit(
            fence, routed, outcome, first=first, millis_behind_latest=millis_behind_latest, ttl=ttl, prove=False
        )
    return outcome


def _batch_commit(
    fence: Fence,
    routed: RoutedBatch,
    outcome: BatchOutcome,
    *,
    first: int,
    millis_behind_latest: int | None,
    ttl: timedelta,
    prove: bool = True,
) -> None:
    with transaction.atomic():
        now = timezone.now()
        if _is_postgresql():
            with connection.cursor() as cursor:
                # No wait for the WAL fsync at commit (~7 ms a batch). Exactly-once still holds:
                # the checkpoint commits in this same transaction, so a commit that a PostgreSQL
                # crash loses takes its checkpoint with it, and the next lease holder re-reads
                # those records from Kinesis. The Redis index is revision-guarded and idempotent,
                # and the pending key (written before this commit) lets the next holder repair it.
                cursor.execute("SET LOCAL synchronous_commit = off")
        # First statement: it takes the lease row's lock, so a takeover waits for this commit
        # and then reads the checkpoint it wrote; if the counter moved, we stop before writing.
        # It returns the checkpoint it replaces: every batch committed on this shard before ours
        # (ours by an earlier holder included) ended at or below it, and wrote its events with it.
        with connection.cursor() as cursor:
            cursor.execute(
                _CHECKPOINT_REPLACE if _is_postgresql() else _CHECKPOINT_SET,
                [str(outcome.checkpoint), now, now + ttl, fence.lease_pk, fence.counter, fence.owner],
            )
            row = cursor.fetchone()
            if row is None:
                raise LeaseLost(f"{fence.stream_name}/{fence.shard_id} counter {fence.counter}")
        # So a batch that starts after the checkpoint it replaces holds no record the drain ever
        # wrote: its events need no ON CONFLICT (writer_postgresql.py). Another writer (an
        # archive or dead-letter replay) could still have written one: the unique constraint
        # fails the transaction then, and batch_persist writes the batch again without the proof.
        outcome.events_proven_new = prove and row[0] is not None and int(row[0]) < first
        batch_rows_write(
            routed=routed,
            outcome=outcome,
            now=now,
            stream_created_at=fence.incarnation,
            events_new=outcome.events_proven_new,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE scoreboard_shardmetrics SET records_processed = records_processed + %s,"
                " bytes_processed = bytes_processed + %s, dead_letters = dead_letters + %s,"
                " discarded = discarded + %s, millis_behind_latest = %s, batches = batches + 1, updated_at = %s"
                " WHERE lease_id = %s",
                [
                    outcome.records,
                    outcome.bytes,
                    outcome.dead_letters,
                    outcome.discarded,
                    millis_behind_latest,
                    now,
                    fence.lease_pk,
                ],
            )
        ranking_after_commit(changes=outcome.changes, stream_name=fence.stream_name, shard_id=fence.shard_id)


# The fenced checkpoint write; on PostgreSQL it returns the checkpoint it replaces (SQLite, the
# demo's single writer, has no FOR UPDATE: its batches write their events with ON CONFLICT).
_CHECKPOINT_REPLACE = (
    "UPDATE scoreboard_shardlease AS lease SET checkpoint = %s, checkpoint_at = %s, expires_at = %s"
    " FROM (SELECT id, checkpoint FROM scoreboard_shardlease WHERE id = %s FOR UPDATE) AS before"
    " WHERE lease.id = before.id AND lease.counter = %s AND lease.owner = %s"
    " RETURNING before.checkpoint"
)
_CHECKPOINT_SET = (
    "UPDATE scoreboard_shardlease SET checkpoint = %s, checkpoint_at = %s, expires_at = %s"
    " WHERE id = %s AND counter = %s AND owner = %s RETURNING NULL"
)


def batch_rows_write(
    *,
    routed: RoutedBatch,
    outcome: BatchOutcome,
    now: datetime,
    stream_created_at: datetime,
    events_new: bool = False,
) -> None:
    """Write the routed batch's rows inside the caller's transaction (bulk statements only).

    `stream_created_at` is the stream incarnation the records were read from: an event or a dead
    letter is one per (incarnation, shard, sequence number). `events_new`: none of the batch's
    events can exist yet (batch_persist proves it from the fenced checkpoint); otherwise those
    present are skipped.
    """
    if routed.accepted:
        limits = Limits.current()  # the cheat rules in force (None: off)
        if _is_postgresql():
            # Screens the staged batch for cheat suspects in SQL, checks them before the standings move.
            outcome.events, changed = accepted_write_postgresql(
                routed, now=now, stream_created_at=stream_created_at, cheat_limits=limits, events_new=events_new
            )
        else:
            # Before the standings move: each player's standing is the status before this batch.
            cheat_flags_batch(accepted=routed.accepted, now=now, limits=limits)
            outcome.events, changed = accepted_write_sqlite(routed, now=now, stream_created_at=stream_created_at)
        outcome.standings_changed = len(changed)
        outcome.changes = [RankingChange(*row[:4]) for row in changed]  # session pk, nickname, revision, rank key
        finished: dict[int, list[str]] = {}
        for session_pk, nickname, _revision, _key, lives in changed:
            if lives == 0:
                finished.setdefault(session_pk, []).append(nickname)
        sessions = routed.sessions
        # Sorted so that concurrent batches lock session rows in the same order (no deadlock).
        for session_pk in sorted(finished):
            seats_release_finished(session=sessions[session_pk], nicknames=finished[session_pk])
        live_publish_on_commit(changed=changed, sessions=sessions)
    if routed.rejected:
        DeadLetter.objects.bulk_create(
            [
                DeadLetter(
                    stream_created_at=stream_created_at,
                    shard_id=routed.shard_id,
                    sequence_number=item.sequence_number,
                    data=item.data[:DEAD_LETTER_DATA_BYTES],
                    data_length=len(item.data),
                    data_sha256=hashlib.sha256(item.data).hexdigest(),
                    reason=item.reason,
                    detail=item.detail,
                    session_id=item.session_id[:64],
                    arrived_at=item.arrival,
                )
                for item in routed.rejected
            ],
            ignore_conflicts=True,
        )
        outcome.dead_letters = len(routed.rejected)
    if routed.discarded:
        with connection.cursor() as cursor:
            for session_pk, count in sorted(routed.discarded.items()):
                cursor.execute(
                    "INSERT INTO scoreboard_sessiondiscards (session_id, after_closing) VALUES (%s, %s)"
                    " ON CONFLICT (session_id) DO UPDATE"
                    " SET after_closing = scoreboard_sessiondiscards.after_closing + excluded.after_closing",
                    [session_pk, count],
                )
        outcome.discarded = sum(routed.discarded.values())


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"
