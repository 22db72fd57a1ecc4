"""Writes to game sessions and seats."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sessions.models import GameSession, Seat, SeatState


@transaction.atomic
def seats_release_finished(*, session: GameSession, nicknames: Iterable[str]) -> int:
    """Free the seats of players whose game ended (a snapshot with Lives == 0); return how many.

    Idempotent: a player already finished, or never seated, frees nothing, so a re-delivered
    Lives == 0 snapshot cannot free a seat twice.
    """
    names = sorted(set(nicknames))
    if not names:
        return 0
    # Lock the session row first: every seat change takes this lock, so counts stay exact.
    GameSession.objects.select_for_update().filter(pk=session.pk).first()
    released = Seat.objects.filter(session=session, nickname__in=names, state=SeatState.PLAYING).update(
        state=SeatState.FINISHED, finished_at=timezone.now()
    )
    if released:
        GameSession.objects.filter(pk=session.pk).update(occupied_seats=F("occupied_seats") - released)
    return released
