"""Rebuild events, standings, discards and dead letters from the raw archive (ours or a Firehose's)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from scoreboard.archive.replay import ReplayScope, archive_replay


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = parse_datetime(text)
    if moment is None or moment.tzinfo is None:
        raise CommandError(f"{text!r}: give an ISO 8601 time with its zone, e.g. 2026-11-27T10:00:00Z")
    return moment


class Command(BaseCommand):
    help = (
        "Replay the S3 archive through the drain's write path: a session (--session), an arrival-time range"
        " (--since/--until) or everything (--all). Counts nothing twice; --dry-run writes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--session", help="a game session id, e.g. X261127T171256")
        scope.add_argument("--since", help="records that arrived from this time (ISO 8601, with zone)")
        scope.add_argument("--all", action="store_true", help="everything in the archive")
        parser.add_argument("--until", help="with --since: records that arrived up to this time")
        parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
        parser.add_argument("--bucket", default=None, help="default: ARCHIVE_BUCKET")
        parser.add_argument("--prefix", default=None, help="default: ARCHIVE_PREFIX (a Firehose's prefix, if other)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["until"] and not options["since"]:
            raise CommandError("--until goes with --since")
        scope = ReplayScope(
            session_id=options["session"], since=_moment(options["since"]), until=_moment(options["until"])
        )
        bar = _ProgressBar(self.stderr if options["verbosity"] > 0 else None)
        summary = archive_replay(
            scope=scope,
            dry_run=options["dry_run"],
            bucket=options["bucket"],
            prefix=options["prefix"],
            progress=bar.update,
        )
        bar.close()
        self.stdout.write(summary.report())


class _ProgressBar:
    """`[#####-----] 12/40 objects, 120,000 records` on one terminal line."""

    WIDTH = 30

    def __init__(self, out: Any) -> None:
        self.out = out
        self.drawn = False

    def update(self, done: int, total: int, records: int) -> None:
        if self.out is None:
            return
        filled = self.WIDTH * done // total if total else self.WIDTH
        line = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} objects, {records:,} records"
        end = "\r" if sys.stderr.isatty() else "\n"
        self.out.write(line, ending=end)
        self.drawn = True

    def close(self) -> None:
        if self.out is not None and self.drawn and sys.stderr.isatty():
            self.out.write("")
