"""Celery tasks of the support desk: thin calls of the services."""

from __future__ import annotations

from celery import shared_task

from support.services.cheating import cheat_tickets_raise


@shared_task(ignore_result=True)
def cheat_tickets_sweep() -> int:
    """Turn new cheat flags into "cheating suspected" tickets; return how many tickets got flags."""
    return len(cheat_tickets_raise())
