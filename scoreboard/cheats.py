"""Cheat rules: what the original game's client can never send, checked over a player's snapshots.

The limits come from the original game's code (aws-samples/aws-alien-attack,
application/game/js/alienattack.js; README "Cheat flags" cites the lines): a rocket at most every
1000 / rocketMaxFireRate ms, 5 points per invader hit, 50 invaders a level, a bonus of level x 50
on clearing a level, lives only ever go down within a game, and at most one status per frame.
Every threshold is a setting (CHEAT_*), read when a batch is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from django.conf import settings


class Rule(StrEnum):
    FIRE_RATE = "fire_rate"
    IMPOSSIBLE_SCORE = "impossible_score"
    LIVES_UP = "lives_up"
    BACKWARDS = "backwards"
    TOO_FAST = "too_fast"
    OUTSIDE_SESSION = "outside_session"


RULE_LABELS = {
    Rule.FIRE_RATE: "more shots than the fire rate allows",
    Rule.IMPOSSIBLE_SCORE: "a score no sequence of hits and level bonuses gives",
    Rule.LIVES_UP: "lives increase within a game",
    Rule.BACKWARDS: "score, shots or level go backwards within a game",
    Rule.TOO_FAST: "statuses closer together than one frame",
    Rule.OUTSIDE_SESSION: "stamped outside the session",
}


class Status(NamedTuple):
    """One snapshot, as far as the rules care (a tuple: the drain builds one per record)."""

    score: int
    lives: int
    shots: int
    level: int
    event_time: datetime

    def as_evidence(self) -> dict[str, Any]:
        return {
            "Score": self.score,
            "Lives": self.lives,
            "Shots": self.shots,
            "Level": self.level,
            "Timestamp": self.event_time.isoformat(),
        }


# The thresholds as a manager's CheatRules row names them; their defaults are the settings of the
# same name, upper case, after CHEAT_ (CHEAT_MAX_SHOTS_PER_SECOND, ...).
THRESHOLDS = (
    "max_shots_per_second",
    "fire_rate_slack_shots",
    "points_per_hit",
    "level_bonus",
    "invaders_per_level",
    "min_status_interval_ms",
    "clock_skew_seconds",
)


def thresholds_from_settings() -> dict[str, Any]:
    """Return the settings' thresholds under CheatRules' names (a new row's initial values)."""
    return {name: getattr(settings, f"CHEAT_{name.upper()}") for name in THRESHOLDS}


@dataclass(frozen=True, slots=True)
class Limits:
    max_shots_per_second: float
    fire_rate_slack_shots: int
    points_per_hit: int
    level_bonus: int
    invaders_per_level: int
    min_status_interval: timedelta
    clock_skew: timedelta

    @classmethod
    def current(cls) -> Limits | None:
        """Return the limits in force: a manager's CheatRules row, else the settings; None when off."""
        from scoreboard.models import CheatRules

        rules = CheatRules.objects.order_by("pk").first()
        if rules is None:
            return cls.from_settings() if settings.CHEAT_RULES_ENABLED else None
        if not rules.enabled:
            return None
        return cls._of({name: getattr(rules, name) for name in THRESHOLDS})

    @classmethod
    def from_settings(cls) -> Limits:
        return cls._of(thresholds_from_settings())

    @classmethod
    def _of(cls, thresholds: dict[str, Any]) -> Limits:
        return cls(
            max_shots_per_second=thresholds["max_shots_per_second"],
            fire_rate_slack_shots=thresholds["fire_rate_slack_shots"],
            points_per_hit=thresholds["points_per_hit"],
            level_bonus=thresholds["level_bonus"],
            invaders_per_level=thresholds["invaders_per_level"],
            min_status_interval=timedelta(milliseconds=thresholds["min_status_interval_ms"]),
            clock_skew=timedelta(seconds=thresholds["clock_skew_seconds"]),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    status: Status
    evidence: dict[str, Any]


def _score_possible(status: Status, limits: Limits) -> bool:
    # Reaching level L paid the bonuses of levels 1..L-1; every other point is a hit.
    level = max(status.level, 1)
    bonuses = limits.level_bonus * level * (level - 1) // 2
    points = status.score - bonuses
    if points < 0 or points % limits.points_per_hit:
        return False
    hits = points // limits.points_per_hit
    # Each hit takes a rocket; levels below L were cleared whole; level L has at most all its invaders
    # (the status of the frame that clears it is sent before the level-up).
    return (
        hits <= status.shots
        and hits >= limits.invaders_per_level * (level - 1)
        and hits <= limits.invaders_per_level * level
    )


def statuses_check(
    statuses: Sequence[Status],
    *,
    previous: Status | None,
    opening: datetime,
    closing: datetime | None,
    limits: Limits,
) -> list[Finding]:
    """Return what breaks the rules in one player's new `statuses` (event-time order) of one session.

    `previous` is the player's last status before these (their standing), so pairs spanning two
    batches are checked too. At most one finding per rule: the first occurrence is the evidence.
    """
    found: dict[Rule, Finding] = {}

    def raise_(rule: Rule, status: Status, **evidence: Any) -> None:
        if rule not in found:
            found[rule] = Finding(rule, status, {"snapshot": status.as_evidence(), **evidence})

    earliest = opening - limits.clock_skew
    latest = closing + limits.clock_skew if closing is not None else None
    min_interval = limits.min_status_interval
    zero = timedelta(0)
    last = previous
    for status in statuses:
        if status == last:
            continue  # the same snapshot delivered twice (producers retry): counted once, checked once
        event_time = status.event_time
        if event_time < earliest or (latest is not None and event_time > latest):
            raise_(
                Rule.OUTSIDE_SESSION,
                status,
                opening=opening.isoformat(),
                closing=closing.isoformat() if closing else None,
            )
        if not _score_possible(status, limits):
            raise_(
                Rule.IMPOSSIBLE_SCORE,
                status,
                points_per_hit=limits.points_per_hit,
                level_bonus=limits.level_bonus,
                invaders_per_level=limits.invaders_per_level,
            )
        if last is None:
            last = status
            continue
        if event_time < last.event_time:
            continue  # arrived late, older than the standing: no pair to compare it with
        if last.lives > 0:  # after Lives == 0 a new game starts from scratch
            elapsed = event_time - last.event_time
            before = last
            if zero <= elapsed < min_interval:
                raise_(
                    Rule.TOO_FAST,
                    status,
                    previous=before.as_evidence(),
                    interval_ms=elapsed / timedelta(milliseconds=1),
                    min_ms=min_interval / timedelta(milliseconds=1),
                )
            if status.lives > last.lives:
                raise_(Rule.LIVES_UP, status, previous=before.as_evidence())
            if status.score < last.score or status.shots < last.shots or status.level < last.level:
                raise_(Rule.BACKWARDS, status, previous=before.as_evidence())
            fired = status.shots - last.shots
            if fired > limits.fire_rate_slack_shots:
                allowed = limits.max_shots_per_second * max(elapsed.total_seconds(), 0) + limits.fire_rate_slack_shots
                if fired > allowed:
                    raise_(
                        Rule.FIRE_RATE,
                        status,
                        previous=before.as_evidence(),
                        shots=fired,
                        seconds=elapsed.total_seconds(),
                        max_shots_per_second=limits.max_shots_per_second,
                    )
        last = status
    return list(found.values())
