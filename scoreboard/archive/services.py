"""Writes of the raw archive outside its consumer: replays a manager asks for, and running them."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from alienportal.audit import audit_record
from alienportal.errors import Invalid
from scoreboard.archive.models import ArchiveReplay, ReconciliationRun, ReplayStatus
from scoreboard.archive.reconcile import Reconciliation, session_reconcile
from scoreboard.archive.replay import ReplayScope, archive_replay
from sessions.models import GameSession

logger = logging.getLogger(__name__)
REPLAY_TASK = "scoreboard.archive.tasks.archive_replay_task"


def archive_replay_scope_check(*, session_id: str, since: datetime | None, until: datetime | None) -> None:
    """Refuse a scope that cannot be replayed (Invalid, with a message for the manager)."""
    if session_id and (since or until):
        raise Invalid("Replay either a session or a time range, not both.", code="ReplayScopeAmbiguous")
    if session_id and not GameSession.objects.filter(session_id=session_id).exists():
        raise Invalid(f"There is no session {session_id!r}.", code="SessionNotFound")
    if since and until and since >= until:
        raise Invalid("The range must start before it ends.", code="ReplayRangeEmpty")


@transaction.atomic
def archive_replay_request(
    *,
    actor: Any,
    session_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    dry_run: bool = True,
) -> ArchiveReplay:
    """Record a replay request (audited) and queue it on the archive queue once committed."""
    session_id = session_id.strip()
    archive_replay_scope_check(session_id=session_id, since=since, until=until)
    replay = ArchiveReplay.objects.create(
        requested_by=actor if getattr(actor, "pk", None) else None,
        session_id=session_id,
        since=since,
        until=until,
        dry_run=dry_run,
    )
    audit_record(
        actor=actor,
        action="archive_replay_requested",
        target=replay,
        before=None,
        after={
            "session_id": session_id,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "dry_run": dry_run,
        },
    )
    transaction.on_commit(lambda: _replay_queue(replay.pk))
    return replay


def _replay_queue(replay_pk: int) -> None:
    # By name: the tasks module imports this one, and apps import one way.
    try:
        current_app.send_task(REPLAY_TASK, args=[replay_pk])
    except Exception:  # the row stays queued; a manager can ask again
        logger.exception("archive_replay_queue_failed replay=%s", replay_pk)


def archive_replay_run(*, replay_pk: int) -> ArchiveReplay:
    """Run a requested replay, keeping its progress and, at the end, its summary and report."""
    claimed = ArchiveReplay.objects.filter(pk=replay_pk, status=ReplayStatus.QUEUED).update(status=ReplayStatus.RUNNING)
    replay = ArchiveReplay.objects.get(pk=replay_pk)
    if not claimed:
        return replay  # already run (a redelivered task)
    last_saved = 0.0

    def progress(done: int, total: int, records: int) -> None:
        nonlocal last_saved
        if time.monotonic() - last_saved >= 1.0 or done == total:
            ArchiveReplay.objects.filter(pk=replay_pk).update(objects_read=done, objects_total=total)
            last_saved = time.monotonic()

    scope = ReplayScope(session_id=replay.session_id or None, since=replay.since, until=replay.until)
    try:
        summary = archive_replay(scope=scope, dry_run=replay.dry_run, progress=progress)
    except Exception as error:
        logger.exception("archive_replay_failed replay=%s", replay_pk)
        ArchiveReplay.objects.filter(pk=replay_pk).update(
            status=ReplayStatus.FAILED, report=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
        )
    else:
        ArchiveReplay.objects.filter(pk=replay_pk).update(
            status=ReplayStatus.DONE,
            summary=summary.as_dict(),
            report=summary.report(),
            finished_at=timezone.now(),
            # A dry run's progress rows were rolled back with the rest of it.
            objects_read=summary.objects,
            objects_total=summary.objects,
        )
    return ArchiveReplay.objects.get(pk=replay_pk)


def reconciliation_run(
    *, session: GameSession, s3: Any = None, bucket: str | None = None, prefix: str | None = None
) -> Reconciliation:
    """Reconcile a session (Redis, PostgreSQL, the archive) and keep the outcome for the health page and API."""
    result = session_reconcile(session=session, s3=s3, bucket=bucket, prefix=prefix)
    ReconciliationRun.objects.create(
        session=session,
        checked_at=result.checked_at,
        ok=result.ok,
        players=result.players,
        archive_records=result.archive_records,
        archive_objects=result.archive_objects,
        differences=len(result.differences),
        first_difference=result.differences[0].describe()[:500] if result.differences else "",
    )
    logger.log(
        logging.INFO if result.ok else logging.WARNING,
        "reconciliation session=%s ok=%s differences=%s",
        session.session_id,
        result.ok,
        len(result.differences),
    )
    return result


def reconciliation_due(*, now: datetime | None = None, limit: int = 5) -> list[GameSession]:
    """Closed sessions whose records must all be in S3 by now and that no reconciliation checked since."""
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.ARCHIVE_RECONCILE_AFTER_SECONDS)
    checked_after_settling = ReconciliationRun.objects.filter(
        session=OuterRef("pk"),
        checked_at__gte=F("session__closing_time") + timedelta(seconds=settings.ARCHIVE_RECONCILE_AFTER_SECONDS),
    )
    return list(
        GameSession.objects.filter(
            closing_time__lte=settled,
            closing_time__gte=now - timedelta(days=settings.ARCHIVE_RECONCILE_LOOKBACK_DAYS),
        )
        .exclude(Exists(checked_after_settling))
        .order_by("-closing_time")[:limit]
    )
