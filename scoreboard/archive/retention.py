"""Retention: score events older than SCORE_EVENT_RETENTION_DAYS leave the database (the archive keeps them)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from scoreboard.models import ScoreEvent

logger = logging.getLogger(__name__)


def score_events_prune(*, before: datetime | None = None, chunk: int = 10_000) -> int:
    """Delete score events stamped before `before` (default: now minus the retention); return how many.

    Only events go: standings, session summaries, discard counts, dead letters, tickets and the
    audit log are other tables and stay. Deleting in chunks keeps each transaction (and the
    lock on the rows it deletes) short while the drain keeps inserting.
    """
    if before is None:
        days = settings.SCORE_EVENT_RETENTION_DAYS
        if days <= 0:
            return 0
        before = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                ScoreEvent.objects.filter(event_time__lt=before).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            count, _ = ScoreEvent.objects.filter(pk__in=ids).delete()
        deleted += count
    logger.info("score_events_pruned before=%s deleted=%d", before.isoformat(), deleted)
    return deleted
