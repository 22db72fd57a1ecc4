"""Writes of the scoreboard outside the drain loop: ranking index upkeep and dead-letter replay."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scoreboard.models import DeadLetter, Standing
from scoreboard.ranking import (
    RankingChange,
    ranking_apply,
    ranking_is_ready,
    ranking_mark_ready,
    ranking_pending_clear,
    ranking_pending_get,
)
from scoreboard.stream.persist import BatchOutcome, StreamRecord, batch_route, batch_rows_write, ranking_after_commit

logger = logging.getLogger(__name__)


def ranking_rebuild(*, session_pk: int, chunk: int = 20_000) -> int:
    """Load every standing of a session from PostgreSQL into its Redis index; return how many.

    Safe while batches commit: applying is monotonic per player (revision), so a change applied
    by a batch and the same or an older row read here converge on the newest.
    """
    count = 0
    batch: list[RankingChange] = []
    rows = Standing.objects.filter(session_id=session_pk).values_list("nickname", "revision", "rank_key")
    for nickname, revision, key in rows.iterator(chunk_size=chunk):
        batch.append(RankingChange(session_pk=session_pk, nickname=nickname, revision=revision, rank_key=key))
        if len(batch) >= chunk:
            ranking_apply(changes=batch)
            count += len(batch)
            batch = []
    ranking_apply(changes=batch)
    ranking_mark_ready(session_pk=session_pk)
    return count + len(batch)


def ranking_sync(*, changes: list[RankingChange]) -> None:
    """Apply committed standing changes to the index; build a session's index first if it has none."""
    sessions = {change.session_pk for change in changes}
    missing = {session_pk for session_pk in sessions if not ranking_is_ready(session_pk=session_pk)}
    for session_pk in missing:
        # The whole session from PostgreSQL, which already holds this batch.
        ranking_rebuild(session_pk=session_pk)
    ranking_apply(changes=[change for change in changes if change.session_pk not in missing])


def ranking_recover(*, stream_name: str, shard_id: str) -> int:
    """Re-apply the players of a batch whose holder died between commit and the index update."""
    pending = ranking_pending_get(stream_name=stream_name, shard_id=shard_id)
    if not pending:
        return 0
    by_session: dict[int, list[str]] = {}
    for session_pk, nickname in pending:
        by_session.setdefault(session_pk, []).append(nickname)
    changes: list[RankingChange] = []
    for session_pk, nicknames in by_session.items():
        rows = Standing.objects.filter(session_id=session_pk, nickname__in=nicknames).values_list(
            "nickname", "revision", "rank_key"
        )
        changes.extend(RankingChange(session_pk, nickname, revision, key) for nickname, revision, key in rows)
    ranking_sync(changes=changes)
    ranking_pending_clear(stream_name=stream_name, shard_id=shard_id)
    logger.info("ranking_recovered stream=%s shard=%s players=%d", stream_name, shard_id, len(changes))
    return len(changes)


@dataclass
class ReplaySummary:
    examined: int = 0
    replayed: int = 0
    still_dead: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def dead_letters_replay(
    *, session_ids: Iterable[str] | None = None, reasons: Iterable[str] | None = None, limit: int = 10_000
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
    with transaction.atomic():
        letters = list(DeadLetter.objects.select_for_update(skip_locked=True).filter(query).order_by("pk")[:limit])
        summary.examined = len(letters)
        by_shard: dict[str, list[DeadLetter]] = {}
        for letter in letters:
            by_shard.setdefault(letter.shard_id, []).append(letter)
        now = timezone.now()
        replayed: list[int] = []
        for shard_id, items in by_shard.items():
            records = [StreamRecord(int(item.sequence_number), bytes(item.data)) for item in items]
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
