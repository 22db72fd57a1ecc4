"""Game sessions and the seats players hold in them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sessions.identifiers import NICKNAME_MAX_CHARS


class GameType(models.TextChoices):
    MULTIPLE_TRIALS = "MULTIPLE_TRIALS", "Multiple trials"
    SINGLE_TRIAL = "SINGLE_TRIAL", "Single trial"
    TIME_CONSTRAINED = "TIME_CONSTRAINED", "Time constrained"


# Game types in which a player gets one game only (DESIGN.md, "Seats"); they are also the types
# that may be synchronized (DESIGN.md, "Game types").
ONE_GAME_TYPES = frozenset({GameType.SINGLE_TRIAL, GameType.TIME_CONSTRAINED})


class GameSessionQuerySet(models.QuerySet["GameSession"]):
    """The one way to say "open" and "current" (DESIGN.md, "Session")."""

    def open(self) -> GameSessionQuerySet:
        """Sessions still open (at most one: constraint game_session_one_open)."""
        return self.filter(closing_time__isnull=True)

    def closed(self) -> GameSessionQuerySet:
        return self.filter(closing_time__isnull=False)

    def current(self) -> GameSession | None:
        """Return the current session: the open one, else the most recently closed one, else None.

        This is the session the game sees in SSM. Chain it after `select_for_update()` to lock it.
        """
        return self.order_by(F("closing_time").desc(nulls_first=True), "-pk").first()


class GameSession(models.Model):
    """A session a manager opened; players take seats and stream snapshots while it is open."""

    session_id = models.CharField(max_length=64, unique=True)
    game_type = models.CharField(max_length=20, choices=GameType.choices)
    opening_time = models.DateTimeField()
    closing_time = models.DateTimeField(null=True, blank=True)
    synchronize_time = models.DateTimeField(null=True, blank=True)
    synchronized = models.BooleanField(default=False)
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    # TIME_CONSTRAINED only: opening_time + time_limit_minutes, fixed when the session opens, so
    # the session's end does not depend on when the closing task happens to run.
    closes_at = models.DateTimeField(null=True, blank=True)
    total_seats = models.PositiveIntegerField(default=150)
    occupied_seats = models.PositiveIntegerField(default=0)
    top_x = models.PositiveIntegerField(default=10)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GameSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-opening_time"]
        constraints = [
            # Seat counts never go below zero or above TotalSeats, whatever the concurrency.
            models.CheckConstraint(
                condition=Q(occupied_seats__lte=F("total_seats")), name="game_session_seats_within_total"
            ),
            models.CheckConstraint(
                condition=Q(closing_time__isnull=True) | Q(closing_time__gte=F("opening_time")),
                name="game_session_closes_after_opening",
            ),
            # One open session at a time: the game knows a single "current session" (one SSM
            # parameter), so allocations and snapshots must never have to choose between two.
            models.UniqueConstraint(
                models.Value(True),
                condition=Q(closing_time__isnull=True),
                name="game_session_one_open",
                violation_error_message="Another session is still open; close it first.",
            ),
        ]

    def __str__(self) -> str:
        return self.session_id

    @property
    def is_open(self) -> bool:
        return self.closing_time is None

    @property
    def effective_closing_time(self) -> datetime | None:
        """When records stop counting: the closing time, or the deadline a timed session closes at."""
        return self.closing_time or self.closes_at

    def accepts_players_at(self, moment: datetime) -> bool:
        """Tell whether the session takes seats at `moment`: open, and its time not up."""
        return self.closing_time is None and (self.closes_at is None or moment < self.closes_at)


class SeatState(models.TextChoices):
    PLAYING = "PLAYING", "Playing"
    FINISHED = "FINISHED", "Finished"


class SeatQuerySet(models.QuerySet["Seat"]):
    def of_session(self, session: GameSession) -> SeatQuerySet:
        return self.filter(session=session)

    def of_player(self, nickname: str) -> SeatQuerySet:
        return self.filter(nickname=nickname)

    def playing(self) -> SeatQuerySet:
        return self.filter(state=SeatState.PLAYING)


class Seat(models.Model):
    """One player's place in one session: playing now, or finished their game."""

    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="seats")
    nickname = models.CharField(max_length=NICKNAME_MAX_CHARS)
    state = models.CharField(max_length=10, choices=SeatState.choices, default=SeatState.PLAYING)
    games_played = models.PositiveIntegerField(default=1)
    # Games granted by support on top of a one-game session's one (a crashed game, say).
    extra_games = models.PositiveIntegerField(default=0)
    allocated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["session", "nickname"]
        constraints = [
            models.UniqueConstraint(fields=["session", "nickname"], name="seat_one_per_player_per_session"),
        ]
        indexes = [models.Index(fields=["session", "state"], name="seat_session_state_idx")]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.session.session_id} ({self.state})"


class SessionPublication(models.Model):
    """The current session as it must be in SSM, and how far publishing it has got (one row).

    Services write `desired_document` and bump `desired_version` in the same transaction as the
    session change; publishing copies it to SSM and records `published_version`. A difference
    between the two versions is work still to do, which the retries and the sweep pick up.
    """

    desired_document = models.TextField(default="null")
    desired_version = models.PositiveBigIntegerField(default=0)
    published_version = models.PositiveBigIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failed_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "SSM publication"
        verbose_name_plural = "SSM publication"

    def __str__(self) -> str:
        return f"SSM publication v{self.published_version}/{self.desired_version}"

    @property
    def is_pending(self) -> bool:
        return self.published_version < self.desired_version
