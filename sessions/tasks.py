"""Celery tasks of game sessions: thin wrappers that call the services and handle retries."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from sessions.selectors import publication_get
from sessions.services import SessionPublishBusy, SessionPublishFailed, session_publish, sessions_close_expired

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(SessionPublishFailed, SessionPublishBusy),
    retry_backoff=2,
    retry_backoff_max=settings.SESSIONS_PUBLISH_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=10,  # with the default backoff, about eight minutes; then the beat sweep keeps trying
    ignore_result=True,
)
def session_publish_task() -> int:
    """Publish the current session to SSM."""
    return session_publish()


@shared_task(ignore_result=True)
def session_publish_sweep_task() -> None:
    """Publish the current session if SSM is behind (a publish that failed for good, or was lost)."""
    if not publication_get().is_pending:
        return
    try:
        session_publish()
    except (SessionPublishFailed, SessionPublishBusy) as exc:
        logger.warning("session.publish_sweep_failed error=%s", exc)


@shared_task(ignore_result=True)
def sessions_close_expired_task() -> None:
    """Close the time-constrained sessions whose time is up."""
    closed = sessions_close_expired()
    if closed:
        logger.info("session.closed_expired sessions=%s", ",".join(closed))
