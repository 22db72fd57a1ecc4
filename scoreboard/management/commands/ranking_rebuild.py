"""Rebuild a session's Redis ranking index from PostgreSQL (after a Redis loss, or to verify it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scoreboard.ranking import ranking_rebuild
from sessions.models import GameSession


class Command(BaseCommand):
    help = "Load every standing of the given sessions (default: all) into their Redis ranking index."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("session_ids", nargs="*")

    def handle(self, *args: Any, session_ids: list[str], **options: Any) -> None:
        sessions = GameSession.objects.all()
        if session_ids:
            sessions = sessions.filter(session_id__in=session_ids)
            missing = set(session_ids) - set(sessions.values_list("session_id", flat=True))
            if missing:
                raise CommandError(f"unknown sessions: {', '.join(sorted(missing))}")
        for session in sessions:
            count = ranking_rebuild(session_pk=session.pk)
            self.stdout.write(f"{session.session_id}: {count} standings indexed")
