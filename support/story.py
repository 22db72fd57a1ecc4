"""The player's whole story for the ticket page, read through the selectors of the apps below."""

from __future__ import annotations

from dataclasses import dataclass

from alienportal.models import AuditEntry
from scoreboard.models import CheatFlag, Standing
from scoreboard.selectors.history import player_history, player_positions
from scoreboard.selectors.players import PlayerDeadLetter, player_cheat_flags, player_dead_letters, player_trail
from scoreboard.trail import MarkedPoint
from sessions.models import GameSession, Seat
from sessions.selectors import player_seats
from support.models import Ticket


@dataclass(frozen=True, slots=True)
class StandingLine:
    standing: Standing
    rank: int | None
    players: int


@dataclass(frozen=True, slots=True)
class PlayerStory:
    nickname: str
    standings: list[StandingLine]
    trail_session: GameSession | None
    trail: list[MarkedPoint]
    seats: list[Seat]
    seat_releases: list[AuditEntry]
    dead_letters: list[PlayerDeadLetter]
    flags: list[CheatFlag]
    flags_on_ticket: set[int]
    previous_tickets: list[Ticket]

    @property
    def anomalies(self) -> int:
        return sum(1 for point in self.trail if point.is_anomaly)


def player_story(*, ticket: Ticket) -> PlayerStory:
    """Return what the desk needs to know about the ticket's player, in one place."""
    nickname = ticket.nickname
    rows = list(player_history(nickname=nickname)[:50])
    positions = player_positions(standings=rows)
    standings = [
        StandingLine(
            standing=row,
            rank=position.rank if (position := positions.get(row.session_id)) else None,
            players=position.count if position else 0,
        )
        for row in rows
    ]
    # The trail of the ticket's session, else of the player's latest session.
    session = ticket.session or (rows[0].session if rows else None)
    seats = player_seats(nickname=nickname)
    releases = list(
        AuditEntry.objects.filter(
            action__startswith="seat.", target_type=Seat._meta.label, target_id__in=[str(seat.pk) for seat in seats]
        ).order_by("-created_at")[:50]
    )
    return PlayerStory(
        nickname=nickname,
        standings=standings,
        trail_session=session,
        trail=player_trail(session=session, nickname=nickname) if session is not None else [],
        seats=seats,
        seat_releases=releases,
        dead_letters=player_dead_letters(nickname=nickname),
        flags=player_cheat_flags(nickname=nickname),
        flags_on_ticket=set(ticket.flags.values_list("flag_id", flat=True)),
        previous_tickets=list(
            Ticket.objects.filter(nickname=nickname).exclude(pk=ticket.pk).order_by("-created_at")[:20]
        ),
    )
