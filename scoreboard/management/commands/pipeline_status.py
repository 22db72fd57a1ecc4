"""Print a one-line pipeline status every N seconds, and a summary when stopped (the demo's terminal)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from scoreboard.selectors.pipeline import PipelineSummary, pipeline_summary


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def status_line(summary: PipelineSummary, records_per_second: float) -> str:
    """Return the figures as one line: records/s, open sessions, players, dead letters."""
    return (
        f"{records_per_second:,.1f} records/s · {_plural(summary.open_sessions, 'open session')} · "
        f"{_plural(summary.players, 'player')} · {_plural(summary.dead_letters, 'dead letter')}"
    )


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


class Command(BaseCommand):
    help = "Print records/s, open sessions, players and dead letters every --every seconds; a summary on SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=30.0, help="seconds between two lines (default 30)")
        parser.add_argument("--prefix", default="", help="put before every line, e.g. '[demo] '")

    def handle(self, *args: Any, every: float, prefix: str, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())
        started = time.monotonic()
        first = previous = self._read()
        previous_at = started
        while not stop.wait(every):
            current = self._read()
            now = time.monotonic()
            if current is None or previous is None:
                previous, previous_at = current, now
                continue  # the database was busy (SQLite under the drain's writes): next time
            rate = (current.records_processed - previous.records_processed) / (now - previous_at)
            self.stdout.write(f"{prefix}{time.strftime('%H:%M:%S')} {status_line(current, rate)}")
            self.stdout.flush()
            previous, previous_at = current, now
        last = self._read() or previous
        elapsed = time.monotonic() - started
        if last is None:
            self.stdout.write(f"{prefix}ran {_duration(elapsed)} (figures unavailable: the database did not answer)")
            return
        drained = last.records_processed - (first.records_processed if first else 0)
        self.stdout.write(
            f"{prefix}ran {_duration(elapsed)}: {_plural(drained, 'record')} drained "
            f"({drained / elapsed if elapsed else 0:,.1f}/s) · {_plural(last.open_sessions, 'open session')} · "
            f"{_plural(last.players, 'player')} · {_plural(last.dead_letters, 'dead letter')}"
        )

    @staticmethod
    def _read() -> PipelineSummary | None:
        try:
            close_old_connections()
            return pipeline_summary()
        except DatabaseError:
            return None
