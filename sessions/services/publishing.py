"""Publish the current session to the SSM parameter the original game functions read.

The database is the truth; SSM is a copy that may lag. A lifecycle change stores the value SSM
must hold (`desired_document`, `desired_version`) in its own transaction and queues a publish
on commit. Publishing copies the newest desired value and records the version it wrote, so a
failed or lost publish leaves a visible difference that the task's retries and the beat sweep
keep working on until SSM holds the right value.
"""

from __future__ import annotations

import logging

import redis
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alienportal.aws import aws_client
from alienportal.celery import task_queue
from alienportal.redis_clients import redis_client
from sessions.models import SessionPublication
from sessions.selectors import publication_get, session_current, session_document_json
from sessions.services.errors import SessionPublishBusy, SessionPublishFailed

logger = logging.getLogger(__name__)

PUBLISH_LOCK_KEY = "game_sessions:ssm-publish"
# Longer than boto3's worst case for one put (5 attempts x (5 s connect + 30 s read) plus
# backoff), so the lock never expires under a publisher that is still working.
PUBLISH_LOCK_SECONDS = 300
SSM_DESCRIPTION = "Currently opened or recently closed session"


def publication_lock() -> SessionPublication:
    """Lock the publication row for this transaction: the mutex of every session lifecycle change."""
    SessionPublication.objects.get_or_create(pk=1)
    return SessionPublication.objects.select_for_update().get(pk=1)


def publication_changed() -> None:
    """Record the current session as the value SSM must hold, and queue its publish on commit.

    Call inside the lifecycle transaction, after `publication_lock()` and the change.
    """
    SessionPublication.objects.filter(pk=1).update(
        desired_document=session_document_json(session=session_current()),
        desired_version=F("desired_version") + 1,
    )
    transaction.on_commit(session_publish_queue)


def session_republish() -> int:
    """Publish the current session again, even if SSM is recorded as holding it; return its version.

    For an SSM that may have lost the value (the demo's moto starts empty on every run, or a
    parameter deleted by hand): a new desired version makes the difference visible, so if SSM
    is unreachable now, the queued task and the beat sweep keep trying as after any change.
    Raises SessionPublishFailed or SessionPublishBusy as session_publish does.
    """
    with transaction.atomic():
        publication_lock()
        publication_changed()
    return session_publish()


def session_publish_queue() -> None:
    """Queue a publish task (a failure to queue is logged: the beat sweep will publish anyway)."""
    try:
        task_queue("sessions.tasks.session_publish_task")
    except Exception:  # the broker being down must not undo a committed session change
        logger.exception("session.publish_queue_failed")


def session_publish() -> int:
    """Write the newest desired session value to SSM unless it is already there; return its version.

    Raises SessionPublishFailed when SSM refuses or cannot be reached (the error is recorded
    for the admin), SessionPublishBusy when another worker is publishing.
    """
    # One publisher at a time: two writers could otherwise put values in the opposite order of
    # the versions they record, leaving an older session in SSM marked as published.
    lock = redis_client().lock(PUBLISH_LOCK_KEY, timeout=PUBLISH_LOCK_SECONDS, blocking_timeout=5)
    if not lock.acquire():
        raise SessionPublishBusy("another worker is publishing the session")
    try:
        while True:
            publication = publication_get()
            if not publication.is_pending:
                return publication.published_version
            _put(publication)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            logger.warning("session.publish_lock_expired")


def _put(publication: SessionPublication) -> None:
    attempt_at = timezone.now()
    try:
        aws_client("ssm").put_parameter(
            Name=settings.SSM_SESSION_PARAMETER,
            Value=publication.desired_document,
            Type="String",
            Overwrite=True,
            Description=SSM_DESCRIPTION,
        )
    except (BotoCoreError, ClientError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        SessionPublication.objects.filter(pk=publication.pk).update(
            last_attempt_at=attempt_at, last_error=error, failed_attempts=F("failed_attempts") + 1
        )
        logger.warning("session.publish_failed version=%s error=%s", publication.desired_version, error)
        raise SessionPublishFailed(error) from exc
    SessionPublication.objects.filter(pk=publication.pk).update(
        published_version=publication.desired_version,
        published_at=attempt_at,
        last_attempt_at=attempt_at,
        last_error="",
        failed_attempts=0,
    )
    logger.info("session.published version=%s", publication.desired_version)
