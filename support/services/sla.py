"""SLA clocks: due times from the priority's targets, paused whenever the desk is not the one owing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from support.models import CLOCK_RUNNING, SlaPolicy, Ticket


def sla_targets(*, priority: str) -> tuple[timedelta, timedelta]:
    """Return (first response, resolution) targets of a priority: a manager's policy, else settings."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is not None:
        return timedelta(minutes=policy.first_response_minutes), timedelta(minutes=policy.resolution_minutes)
    first, resolution = settings.SUPPORT_SLA_MINUTES[priority]
    return timedelta(minutes=first), timedelta(minutes=resolution)


def sla_due_times_set(*, ticket: Ticket) -> None:
    """Set both due times from the opening time, the targets and the pauses that have ended."""
    first, resolution = sla_targets(priority=ticket.priority)
    paused = timedelta(seconds=ticket.paused_seconds)
    if ticket.first_response_at is None:  # a met (or missed) first response is settled
        ticket.first_response_due_at = ticket.created_at + first + paused
    ticket.resolution_due_at = ticket.created_at + resolution + paused


def sla_clock_follow(*, ticket: Ticket, new_status: str, now: datetime) -> None:
    """Pause or resume the clocks as the ticket moves into `new_status` (before saving it).

    A pause that ends pushes both due times forward by its length, so a due time always means
    "when it breaches if the clock keeps running from now".
    """
    running_before = ticket.status in CLOCK_RUNNING
    running_after = new_status in CLOCK_RUNNING
    if running_before and not running_after:
        ticket.paused_since = now
    elif not running_before and running_after and ticket.paused_since is not None:
        pause = now - ticket.paused_since
        ticket.paused_seconds += int(pause.total_seconds())
        ticket.paused_since = None
        sla_due_times_set(ticket=ticket)


def sla_due_soon_window() -> timedelta:
    return timedelta(minutes=settings.SUPPORT_SLA_DUE_SOON_MINUTES)
