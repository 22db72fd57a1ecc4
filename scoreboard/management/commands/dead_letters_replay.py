"""Replay dead letters whose cause is fixed, e.g. records of a session that was created later."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from scoreboard.services import dead_letters_replay


class Command(BaseCommand):
    help = "Route unreplayed dead letters again; those that now pass become standings (once each)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--session", action="append", dest="sessions", help="only this session id (repeatable)")
        parser.add_argument("--reason", action="append", dest="reasons", help="only this reason (repeatable)")
        parser.add_argument("--limit", type=int, default=10_000)

    def handle(self, *args: Any, sessions: list[str] | None, reasons: list[str] | None, limit: int, **options: Any):
        # Run from a shell: the log names no person, "system".
        summary = dead_letters_replay(actor=None, session_ids=sessions, reasons=reasons, limit=limit)
        self.stdout.write(
            f"examined={summary.examined} replayed={summary.replayed} still_dead={summary.still_dead}"
            f" reasons={summary.reasons}"
        )
