"""Open a game session from the command line and print its id (the demo and scripts use it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sessions.models import GameSession, GameType
from sessions.services import (
    SessionError,
    SessionPublishBusy,
    SessionPublishFailed,
    session_open,
    session_publish,
    session_republish,
)


class Command(BaseCommand):
    help = "Open a game session and print its id; the current session is published to SSM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--game-type", choices=GameType.values, default=GameType.MULTIPLE_TRIALS)
        parser.add_argument("--minutes", type=int, help="time limit of a TIME_CONSTRAINED session (1-30)")
        parser.add_argument("--synchronized", action="store_true", help="players start when a manager says go")
        parser.add_argument("--total-seats", type=int, default=150)
        parser.add_argument("--top-x", type=int, default=10)
        parser.add_argument("--session-id", help="name the session instead of the generated X%%y%%m%%dT%%H%%M%%S")
        parser.add_argument("--manager", help="username recorded as the manager who opened it (audit log)")
        parser.add_argument(
            "--reuse-open",
            action="store_true",
            help="if a session is already open, publish it to SSM again and print its id instead of failing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        already_open = GameSession.objects.open().first()
        if already_open is not None and options["reuse_open"]:
            try:
                # SSM may not hold it (the demo's moto starts empty on every run), though the
                # database says it was published: publish it again.
                session_republish()
            except (SessionPublishFailed, SessionPublishBusy) as exc:
                self.stderr.write(f"SSM not updated yet ({exc}); it will be retried.")
            self.stdout.write(already_open.session_id)
            return
        manager = None
        if options["manager"]:
            manager = get_user_model().objects.filter(username=options["manager"]).first()
            if manager is None:
                raise CommandError(f"No user named {options['manager']!r}.")
        try:
            session = session_open(
                manager=manager,
                game_type=options["game_type"],
                total_seats=options["total_seats"],
                top_x=options["top_x"],
                minutes=options["minutes"],
                synchronized=options["synchronized"],
                session_id=options["session_id"],
            )
        except SessionError as exc:
            raise CommandError(str(exc)) from exc
        try:
            # Publish now, so a game started right after this command finds the session in SSM;
            # if SSM is unreachable the queued task and the beat sweep keep trying.
            session_publish()
        except (SessionPublishFailed, SessionPublishBusy) as exc:
            self.stderr.write(f"SSM not updated yet ({exc}); it will be retried.")
        self.stdout.write(session.session_id)
