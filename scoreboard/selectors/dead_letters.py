"""Reads of the dead letters: the list to inspect or export, and counts by reason for monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from scoreboard.models import DeadLetter


@dataclass(frozen=True, slots=True)
class DeadLetterCount:
    reason: str
    total: int
    waiting: int  # not replayed yet
    latest_at: datetime


def dead_letter_list(
    *,
    reason: str | None = None,
    session_id: str | None = None,
    replayed: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[DeadLetter]:
    """Return the dead letters matching every filter given, oldest first (pk order: stable and unique)."""
    letters = DeadLetter.objects.all()
    if reason is not None:
        letters = letters.filter(reason=reason)
    if session_id is not None:
        letters = letters.filter(session_id=session_id)
    if replayed is not None:
        letters = letters.filter(replayed_at__isnull=not replayed)
    if created_from is not None:
        letters = letters.filter(created_at__gte=created_from)
    if created_to is not None:
        letters = letters.filter(created_at__lt=created_to)
    return letters.order_by("pk")


def dead_letter_counts(
    *, created_from: datetime | None = None, created_to: datetime | None = None
) -> list[DeadLetterCount]:
    """Return, per reason, how many dead letters there are and how many still wait for a replay."""
    rows = (
        dead_letter_list(created_from=created_from, created_to=created_to)
        .order_by()
        .values("reason")
        .annotate(
            total=Count("pk"), waiting=Count("pk", filter=Q(replayed_at__isnull=True)), latest_at=Max("created_at")
        )
        .order_by("reason")
    )
    return [DeadLetterCount(**row) for row in rows]
