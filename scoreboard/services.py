"""Writes of the scoreboard outside the drain loop: dead-letter replay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scoreboard.models import DeadLetter
from scoreboard.stream.persist import BatchOutcome, StreamRecord, batch_route, batch_rows_write, ranking_after_commit


def dead_letters_expire(*, older_than: datetime, chunk: int = 5_000) -> int:
    """Delete dead letters created before `older_than`, a chunk per transaction; return how many."""
    deleted = 0
    while True:
        # Chunks keep each transaction (and its row locks) short while the drain writes new ones.
        pks = list(
            DeadLetter.objects.filter(created_at__lt=older_than).order_by("pk").values_list("pk", flat=True)[:chunk]
        )
        if not pks:
            return deleted
        count, _ = DeadLetter.objects.filter(pk__in=pks).delete()
        deleted += count


@dataclass
class ReplaySummary:
    examined: int = 0
    replayed: int = 0
    still_dead: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def dead_letters_replay(
    *,
    session_ids: Iterable[str] | None = None,
    reasons: Iterable[str] | None = None,
    pks: Iterable[int] | None = None,
    limit: int = 10_000,
) -> ReplaySummary:
    """Route unreplayed dead letters again (e.g. once their session exists) and persist those that now pass.

    A replayed record keeps its original shard and sequence number, so replaying twice, or a
    record that also reached the stream twice, is still counted once per record.
    """
    summary = ReplaySummary()
    query = Q(replayed_at__isnull=True)
    if session_ids is not None:
        query &= Q(session_id__in=list(session_ids))
    if reasons is not None:
        query &= Q(reason__in=list(reasons))
    if pks is not None:  # the letters a manager picked in the admin
        query &= Q(pk__in=list(pks))
    with transaction.atomic():
        letters = list(DeadLetter.objects.select_for_update(skip_locked=True).filter(query).order_by("pk")[:limit])
        summary.examined = len(letters)
        by_shard: dict[str, list[DeadLetter]] = {}
        for letter in letters:
            by_shard.setdefault(letter.shard_id, []).append(letter)
        now = timezone.now()
        replayed: list[int] = []
        for shard_id, letters_of_shard in by_shard.items():
            # Only a prefix of a record kept (it was too large): its bytes are not the record's.
            items = [item for item in letters_of_shard if not item.is_truncated]
            truncated = len(letters_of_shard) - len(items)
            if truncated:
                summary.reasons["too_large"] = summary.reasons.get("too_large", 0) + truncated
            if not items:
                continue
            records = [StreamRecord(int(item.sequence_number), bytes(item.data), item.arrived_at) for item in items]
            routed = batch_route(shard_id=shard_id, records=records)
            still = {item.sequence_number for item in routed.rejected}
            for item in routed.rejected:
                summary.reasons[item.reason] = summary.reasons.get(item.reason, 0) + 1
            # The rows that still fail are already dead letters; only route the others.
            routed.rejected = []
            outcome = BatchOutcome()
            batch_rows_write(routed=routed, outcome=outcome, now=now)
            ranking_after_commit(changes=outcome.changes, stream_name="replay", shard_id=shard_id)
            replayed.extend(item.pk for item in items if int(item.sequence_number) not in still)
        DeadLetter.objects.filter(pk__in=replayed).update(replayed_at=now)
        summary.replayed = len(replayed)
        summary.still_dead = summary.examined - summary.replayed
    return summary
