"""Writes of the scoreboard outside the drain loop: dead-letter replay and expiry, heartbeat pruning."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alienportal.audit import audit_actor_name, audit_record
from alienportal.errors import NotFound, Refused
from scoreboard.models import DeadLetter, Standing, WorkerHeartbeat
from scoreboard.ranking import ranking_visibility_set
from scoreboard.stream.persist import BatchOutcome, batch_rows_write
from scoreboard.stream.publish import live_publish, ranking_after_commit
from scoreboard.stream.routing import StreamRecord, batch_route
from sessions.models import GameSession

logger = logging.getLogger(__name__)


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


def worker_heartbeats_prune(*, older_than: datetime) -> int:
    """Delete the heartbeats last beaten before `older_than`; return how many.

    Each drain call beats under a name of its own, so a drained shard leaves a row per call
    (STREAM_DRAIN_SECONDS): without pruning the table grows by ~1,440 rows a day per shard. A
    live worker's row is beaten every few seconds, so only finished calls fall out of the window;
    PostgreSQL re-checks `beat_at` on a row a worker updates during the delete, so a beat that
    lands meanwhile keeps its row.
    """
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=older_than).delete()
    return deleted


@dataclass
class ReplaySummary:
    examined: int = 0
    replayed: int = 0
    still_dead: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


# The audit entry lists the examined letters up to this many (a replay may examine 10,000).
AUDIT_LISTED_LETTERS = 100


def dead_letters_replay(
    *,
    actor: Any,
    session_ids: Iterable[str] | None = None,
    reasons: Iterable[str] | None = None,
    pks: Iterable[int] | None = None,
    limit: int = 10_000,
) -> ReplaySummary:
    """Route unreplayed dead letters again (e.g. once their session exists) and persist those that now pass.

    A replayed record keeps its original stream incarnation, shard and sequence number, so
    replaying twice, or a record that also reached the stream twice, is still counted once per
    record. Audited (`dead_letters.replay`: who, which selection, how many replayed and still
    dead), whichever interface asked: the admin action, the reports API, a support ticket or the command.
    """
    summary = ReplaySummary()
    query = Q(replayed_at__isnull=True)
    selection: dict[str, Any] = {"limit": limit}
    if session_ids is not None:
        session_ids = list(session_ids)
        query &= Q(session_id__in=session_ids)
        selection["session_ids"] = session_ids
    if reasons is not None:
        reasons = list(reasons)
        query &= Q(reason__in=reasons)
        selection["reasons"] = reasons
    if pks is not None:  # the letters a manager picked in the admin
        pks = list(pks)
        query &= Q(pk__in=pks)
        selection["picked"] = len(pks)
    with transaction.atomic():
        letters = list(DeadLetter.objects.select_for_update(skip_locked=True).filter(query).order_by("pk")[:limit])
        summary.examined = len(letters)
        by_shard: dict[tuple[datetime, str], list[DeadLetter]] = {}
        for letter in letters:
            by_shard.setdefault((letter.stream_created_at, letter.shard_id), []).append(letter)
        now = timezone.now()
        replayed: list[int] = []
        for (incarnation, shard_id), letters_of_shard in by_shard.items():
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
            batch_rows_write(routed=routed, outcome=outcome, now=now, stream_created_at=incarnation)
            ranking_after_commit(changes=outcome.changes, stream_name="replay", shard_id=shard_id)
            replayed.extend(item.pk for item in items if int(item.sequence_number) not in still)
        DeadLetter.objects.filter(pk__in=replayed).update(replayed_at=now)
        summary.replayed = len(replayed)
        summary.still_dead = summary.examined - summary.replayed
        audit_record(
            actor=actor,
            action="dead_letters.replay",
            target=f"{summary.examined} dead letters: {summary.replayed} replayed, {summary.still_dead} still dead",
            before=None,
            after={
                **selection,
                "examined": summary.examined,
                "replayed": summary.replayed,
                "still_dead": summary.still_dead,
                "still_dead_reasons": dict(sorted(summary.reasons.items())),
                "dead_letters": [letter.pk for letter in letters[:AUDIT_LISTED_LETTERS]],
            },
        )
    logger.info(
        "dead_letters_replay actor=%s examined=%s replayed=%s still_dead=%s",
        audit_actor_name(actor),
        summary.examined,
        summary.replayed,
        summary.still_dead,
    )
    return summary


def _visibility(standing: Standing) -> dict[str, Any]:
    return {"session": standing.session.session_id, "nickname": standing.nickname, "hidden": standing.hidden}


@transaction.atomic
def standing_visibility_set(*, actor: Any, session: GameSession, nickname: str, hidden: bool, reason: str) -> Standing:
    """Hide a player's standing from rankings, or show it again; audited (`standing.hide` / `standing.show`).

    The standing and its score events stay and keep following the player's snapshots; rankings,
    the Redis index, the live top X, dashboards and reports skip a hidden standing. Showing it
    again puts it back at its current key, so it ranks exactly as if it had never been hidden.
    """
    standing = (
        Standing.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(session=session, nickname=nickname)
        .first()
    )
    if standing is None:
        raise NotFound(f"{nickname} has no standing in {session.session_id}.", code="NoStanding")
    if standing.hidden == hidden:
        state = "hidden" if hidden else "shown"
        raise Refused(f"{nickname}'s standing in {session.session_id} is already {state}.", code="AlreadyDone")
    before = _visibility(standing)
    Standing.objects.filter(pk=standing.pk).update(hidden=hidden)
    standing.hidden = hidden
    audit_record(
        actor=actor,
        action="standing.hide" if hidden else "standing.show",
        target=standing,
        before=before,
        after={**_visibility(standing), "reason": reason},
    )

    def index_follow() -> None:
        ranking_visibility_set(session_pk=session.pk, nickname=nickname, hidden=hidden)
        live_publish(messages=[(session.session_id, [nickname])])

    transaction.on_commit(index_follow)
    logger.info("standing_visibility session=%s nickname=%s hidden=%s", session.session_id, nickname, hidden)
    return standing
