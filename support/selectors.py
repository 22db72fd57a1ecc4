"""Reads of the support desk: SLA states, saved views and the desk summary."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from support.models import ACTIVE, CLOCK_RUNNING, Status, Ticket, TicketQuerySet
from support.services.sla import sla_due_soon_window


class Clock(StrEnum):
    MET = "met"
    MISSED = "missed"
    BREACHED = "breached"  # running and past due
    DUE_SOON = "due soon"
    ON_TIME = "on time"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class TicketSla:
    first_response: Clock
    first_response_due_at: datetime
    resolution: Clock
    resolution_due_at: datetime

    @property
    def worst(self) -> Clock:
        for clock in (Clock.BREACHED, Clock.MISSED, Clock.DUE_SOON):
            if clock in (self.first_response, self.resolution):
                return clock
        return self.resolution


def _running(due: datetime, *, ticket: Ticket, now: datetime) -> Clock:
    if ticket.status not in CLOCK_RUNNING:
        return Clock.PAUSED
    if now > due:
        return Clock.BREACHED
    if now > due - sla_due_soon_window():
        return Clock.DUE_SOON
    return Clock.ON_TIME


def ticket_sla(*, ticket: Ticket, now: datetime | None = None) -> TicketSla:
    """Return where each SLA clock of the ticket stands at `now`."""
    now = now or timezone.now()
    if ticket.first_response_at is not None:
        first = Clock.MET if ticket.first_response_at <= ticket.first_response_due_at else Clock.MISSED
    else:
        first = _running(ticket.first_response_due_at, ticket=ticket, now=now)
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and ticket.resolved_at is not None:
        resolution = Clock.MET if ticket.resolved_at <= ticket.resolution_due_at else Clock.MISSED
    else:
        resolution = _running(ticket.resolution_due_at, ticket=ticket, now=now)
    return TicketSla(first, ticket.first_response_due_at, resolution, ticket.resolution_due_at)


class SavedView(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"
    DUE_SOON = "due_soon"
    CHEATING = "cheating"


SAVED_VIEW_LABELS = {
    SavedView.MINE: "My open tickets",
    SavedView.UNASSIGNED: "Unassigned",
    SavedView.BREACHING: "Breaching",
    SavedView.DUE_SOON: "Due soon",
    SavedView.CHEATING: "Cheating suspected",
}


def tickets_view(*, queryset: TicketQuerySet, view: str, user: Any, now: datetime | None = None) -> TicketQuerySet:
    """Narrow `queryset` to one of the desk's saved views."""
    now = now or timezone.now()
    if view == SavedView.MINE:
        return queryset.filter(status__in=ACTIVE, assignee_id=getattr(user, "pk", None))
    if view == SavedView.UNASSIGNED:
        return queryset.filter(status__in=ACTIVE, assignee__isnull=True)
    if view == SavedView.BREACHING:
        return queryset.breaching(now=now)
    if view == SavedView.DUE_SOON:
        soon = now + sla_due_soon_window()
        return (
            queryset.filter(status__in=CLOCK_RUNNING)
            .filter(
                Q(first_response_at__isnull=True, first_response_due_at__range=(now, soon))
                | Q(resolution_due_at__range=(now, soon))
            )
            .exclude(pk__in=queryset.breaching(now=now).values("pk"))
        )
    if view == SavedView.CHEATING:
        return queryset.filter(category="CHEATING_SUSPECTED", status__in=ACTIVE)
    return queryset


@dataclass(frozen=True, slots=True)
class DeskSummary:
    open: int
    overdue: int
    due_today: int
    median_first_response: timedelta | None
    within_sla_share: float | None  # 0..1 of tickets whose clocks are settled or breached
    settled: int


def desk_summary(*, now: datetime | None = None) -> DeskSummary:
    """Return the desk's counts: open, overdue, due today, median first response, share within SLA."""
    now = now or timezone.now()
    tickets = Ticket.objects.all()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999_999)
    due_today = (
        tickets.filter(status__in=CLOCK_RUNNING)
        .filter(
            Q(first_response_at__isnull=True, first_response_due_at__range=(now, end_of_day))
            | Q(resolution_due_at__range=(now, end_of_day))
        )
        .count()
    )
    waits = [
        (answered - created).total_seconds()
        for created, answered in tickets.filter(first_response_at__isnull=False).values_list(
            "created_at", "first_response_at"
        )
        if answered is not None
    ]
    breaching = tickets.breaching(now=now)
    resolved = tickets.filter(status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__isnull=False)
    within = resolved.filter(
        resolved_at__lte=F("resolution_due_at"), first_response_at__lte=F("first_response_due_at")
    ).count()
    settled = resolved.count() + breaching.count()
    return DeskSummary(
        open=tickets.filter(status__in=ACTIVE).count(),
        overdue=breaching.count(),
        due_today=due_today,
        median_first_response=timedelta(seconds=statistics.median(waits)) if waits else None,
        within_sla_share=within / settled if settled else None,
        settled=settled,
    )
