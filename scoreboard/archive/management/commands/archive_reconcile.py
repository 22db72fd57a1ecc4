"""Compare a session's Redis rank index, PostgreSQL standings and a replay of the archive; print every difference."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scoreboard.archive.services import reconciliation_run
from sessions.models import GameSession


class Command(BaseCommand):
    help = (
        "Reconcile a session: Redis rank index, PostgreSQL standings, a replay of the S3 archive (exit 1: differences)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--session", required=True, help="a game session id, e.g. X261127T171256")
        parser.add_argument("--bucket", default=None, help="default: ARCHIVE_BUCKET")
        parser.add_argument("--prefix", default=None, help="default: ARCHIVE_PREFIX")

    def handle(self, *args: Any, session: str, bucket: str | None, prefix: str | None, **options: Any) -> None:
        found = GameSession.objects.filter(session_id=session).first()
        if found is None:
            raise CommandError(f"no session {session!r}")
        result = reconciliation_run(session=found, bucket=bucket, prefix=prefix)
        self.stdout.write(result.summary_line())
        for difference in result.differences:
            self.stdout.write(f"  {difference.describe()}")
        if not result.ok:
            raise SystemExit(1)
