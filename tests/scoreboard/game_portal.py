"""The live portal's game API, as the simulated players and the e2e tests reach it."""

from __future__ import annotations

import threading

from django.core.management import call_command
from django.db import connection


class GamePortal:
    """The live portal's game API on a stream and SSM parameter of the test's own, trusting moto's pool."""

    def __init__(self, *, url: str, stream: str) -> None:
        self.url = url
        self.stream = stream
        self._draining = threading.Event()
        self._drainer: threading.Thread | None = None

    def publish(self) -> None:
        """Copy the current session to SSM now (the Celery task's work, done in the test's thread)."""
        from sessions.services import session_publish

        session_publish()

    def drain(self, seconds: float) -> None:
        call_command("stream_drain", seconds=seconds, stream=self.stream)

    def drain_in_background(self) -> None:
        """Keep the pipeline draining the stream (as the demo's stream worker) until `drain_stop()`."""
        self._draining.set()

        def loop() -> None:
            try:
                while self._draining.is_set():
                    self.drain(3.0)
            finally:
                connection.close()

        self._drainer = threading.Thread(target=loop, daemon=True)
        self._drainer.start()

    def drain_stop(self) -> None:
        self._draining.clear()
        if self._drainer is not None:
            self._drainer.join(timeout=30)
            self._drainer = None
