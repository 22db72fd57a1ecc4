"""A player's snapshot trail read as a story: gaps, and moves the original game cannot make.

Pure functions over snapshots in event-time order; the ticket page marks a trail with them.
A new game starts after a snapshot with Lives == 0 (MULTIPLE_TRIALS): its counters start again
from zero, which is not a trail going backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Mark(StrEnum):
    GAP = "gap"
    BACKWARDS = "goes backwards"
    LIVES_UP = "lives increase"
    TOO_FAST = "too soon after the previous status"
    OUTSIDE_SESSION = "outside the session"
    NEW_GAME = "new game"


ANOMALIES = frozenset({Mark.BACKWARDS, Mark.LIVES_UP, Mark.TOO_FAST, Mark.OUTSIDE_SESSION})


@dataclass(frozen=True, slots=True)
class TrailPoint:
    score: int
    lives: int
    shots: int
    level: int
    event_time: datetime


@dataclass(frozen=True, slots=True)
class MarkedPoint:
    point: TrailPoint
    marks: tuple[Mark, ...]

    @property
    def is_anomaly(self) -> bool:
        return any(mark in ANOMALIES for mark in self.marks)


def trail_marks(
    points: Sequence[TrailPoint],
    *,
    opening: datetime,
    closing: datetime | None,
    gap: timedelta,
    min_interval: timedelta,
) -> list[MarkedPoint]:
    """Mark each snapshot of one player's trail in one session (points in event-time order)."""
    marked: list[MarkedPoint] = []
    previous: TrailPoint | None = None
    for point in points:
        marks: list[Mark] = []
        if point.event_time < opening or (closing is not None and point.event_time > closing):
            marks.append(Mark.OUTSIDE_SESSION)
        if previous is not None:
            elapsed = point.event_time - previous.event_time
            if elapsed > gap:
                marks.append(Mark.GAP)
            if elapsed < min_interval:
                marks.append(Mark.TOO_FAST)
            if previous.lives == 0:
                marks.append(Mark.NEW_GAME)
            else:
                if point.score < previous.score or point.shots < previous.shots or point.level < previous.level:
                    marks.append(Mark.BACKWARDS)
                if point.lives > previous.lives:
                    marks.append(Mark.LIVES_UP)
        marked.append(MarkedPoint(point, tuple(marks)))
        previous = point
    return marked
