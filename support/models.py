"""Player tickets: the conversation with the player, internal notes, canned replies and SLA targets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from sessions.identifiers import NICKNAME_MAX_CHARS
from sessions.models import GameSession
from support.access import may_work_tickets, player_nickname


class Category(models.TextChoices):
    SCORE_DISPUTE = "SCORE_DISPUTE", "Score dispute"
    STUCK_SEAT = "STUCK_SEAT", "Stuck seat"
    CANNOT_PLAY = "CANNOT_PLAY", "Cannot play"
    CHEATING_SUSPECTED = "CHEATING_SUSPECTED", "Cheating suspected"
    ACCOUNT = "ACCOUNT", "Account"
    OTHER = "OTHER", "Other"


class Priority(models.TextChoices):
    URGENT = "URGENT", "Urgent"
    HIGH = "HIGH", "High"
    NORMAL = "NORMAL", "Normal"
    LOW = "LOW", "Low"


class Status(models.TextChoices):
    NEW = "NEW", "New"
    OPEN = "OPEN", "Open"
    WAITING_ON_PLAYER = "WAITING_ON_PLAYER", "Waiting on player"
    RESOLVED = "RESOLVED", "Resolved"
    CLOSED = "CLOSED", "Closed"


# The SLA clocks run only while the desk owes the player something; waiting on the player,
# resolved and closed pause them (a reopen resumes them).
CLOCK_RUNNING = frozenset({Status.NEW, Status.OPEN})
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.WAITING_ON_PLAYER})


class Source(models.TextChoices):
    PORTAL = "PORTAL", "Support desk"
    PLAYER = "PLAYER", "Player (game API)"
    PIPELINE = "PIPELINE", "Cheat flags (pipeline)"


class TicketQuerySet(models.QuerySet["Ticket"]):
    def for_user(self, user: Any) -> TicketQuerySet:
        """Return the tickets `user` may see: every ticket for the desk, their own for a player."""
        if may_work_tickets(user):
            return self.all()
        nickname = player_nickname(user)
        if nickname is None:
            return self.none()
        return self.filter(nickname=nickname)

    def for_player(self, actor: Any) -> TicketQuerySet:
        """Return the caller's own tickets as a game player (the players' API), whatever else they may do."""
        nickname = player_nickname(actor)
        return self.none() if nickname is None else self.filter(nickname=nickname)

    def active(self) -> TicketQuerySet:
        return self.filter(status__in=ACTIVE)

    def breaching(self, *, now: Any) -> TicketQuerySet:
        """Tickets whose running clock is past a due time it has not met."""
        return self.filter(status__in=CLOCK_RUNNING).filter(
            Q(first_response_at__isnull=True, first_response_due_at__lt=now) | Q(resolution_due_at__lt=now)
        )


class Ticket(models.Model):
    """A player's request (or a suspicion about a player), worked by the support desk."""

    nickname = models.CharField(
        max_length=NICKNAME_MAX_CHARS, db_index=True, help_text="The player's nickname in the game."
    )
    session = models.ForeignKey(GameSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=24, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.CharField(max_length=150, blank=True, help_text="Who opened it (a person, or system).")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # SLA clocks. Due times are moved forward by every pause when it ends, so "breaching" is a
    # plain indexed comparison with now (see support/services/sla.py).
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    # Time the clocks have spent paused so far (ended pauses only), kept so that a priority
    # change can recompute the due times from the opening time.
    paused_seconds = models.PositiveBigIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_due_idx"),
            models.Index(fields=["category", "status"], name="ticket_category_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class MessageKind(models.TextChoices):
    REPLY = "REPLY", "Reply to the player"
    PLAYER = "PLAYER", "From the player"
    NOTE = "NOTE", "Internal note"
    EVENT = "EVENT", "Desk event"


# What a player may ever read: an allow-list, so a kind added later stays internal by default.
PLAYER_VISIBLE_KINDS = frozenset({MessageKind.REPLY, MessageKind.PLAYER})


class TicketMessageQuerySet(models.QuerySet["TicketMessage"]):
    def visible_to_player(self) -> TicketMessageQuerySet:
        return self.filter(kind__in=PLAYER_VISIBLE_KINDS)


class TicketMessage(models.Model):
    """One entry of a ticket's thread: a reply, the player's message, an internal note or an event."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    created_at = models.DateTimeField()

    objects = TicketMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind not in PLAYER_VISIBLE_KINDS


class CannedReply(models.Model):
    """A reply text with placeholders ({nickname}, {ticket}, {subject}, ...) filled from the ticket."""

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title


class SlaPolicy(models.Model):
    """A manager's override of a priority's SLA targets (settings.SUPPORT_SLA otherwise)."""

    priority = models.CharField(max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="sla_policy_sensible",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.first_response_minutes} / {self.resolution_minutes} min"


class TicketFlag(models.Model):
    """A cheat flag the desk has taken up on a ticket (every flag of a player in a session lands on one).

    A flag that fires again after its ticket was resolved, and was not dismissed, is taken up again
    on a new ticket: `hits_seen` is how many hits the ticket has seen.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="flags")
    flag = models.ForeignKey("scoreboard.CheatFlag", on_delete=models.CASCADE, related_name="+")
    hits_seen = models.BigIntegerField()
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "flag"], name="ticket_flag_once")]

    def __str__(self) -> str:
        return f"flag {self.flag_id} on #{self.ticket_id}"
