"""The demo's long-running processes: each in a process group of its own, logging to a file, stopped in order.

A Ctrl-C at the terminal reaches only the demo (the foreground process group), never its
children: the demo then stops them itself, producers first, with SIGTERM to each main process and
a wait, so Celery's workers shut down warm (a pool child killed by the terminal's SIGINT is what
made Celery print WorkerLostError tracebacks).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass
class Child:
    """One process of the group: how to start it, where its output goes, how long it may take to stop."""

    name: str
    command: list[str]
    cwd: str
    env: dict[str, str]
    log_path: Path | None  # None: the terminal (the demo's own stdout)
    stop_seconds: float
    process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class ProcessGroup:
    """Start processes, notice when one ends on its own, and stop them phase by phase."""

    def __init__(self, *, log_dir: Path):
        self.log_dir = log_dir
        self.children: dict[str, Child] = {}

    def add_process(
        self,
        name: str,
        command: str,
        *,
        cwd: str,
        env: dict[str, str],
        terminal: bool = False,
        stop_seconds: float = 10.0,
    ) -> None:
        """Declare a process (started by `start`); its output goes to <log_dir>/<name>.log unless `terminal`."""
        log_path = None if terminal else self.log_dir / f"{name}.log"
        self.children[name] = Child(name, shlex.split(command), cwd, env, log_path, stop_seconds)

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for child in self.children.values():
            log: IO[bytes] | None = child.log_path.open("wb") if child.log_path is not None else None
            try:
                child.process = subprocess.Popen(
                    child.command,
                    cwd=child.cwd,
                    env=child.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT if log is not None else None,
                    process_group=0,  # a Ctrl-C at the terminal is the demo's to handle, not theirs
                )
            finally:
                if log is not None:
                    log.close()  # the child holds its own descriptor

    def wait(self, *, stop: threading.Event, poll: float = 0.5) -> Child | None:
        """Wait until `stop` is set (None) or a process ends on its own (that process)."""
        while not stop.wait(poll):
            for child in self.children.values():
                if child.process is not None and child.process.poll() is not None:
                    return child
        return None

    def stop(self, phases: Iterable[Iterable[str]]) -> dict[str, int | None]:
        """Stop the named processes phase after phase (SIGTERM, then wait); return each one's exit code.

        The processes of a phase stop together. One that outlives its `stop_seconds` is killed
        with its whole process group (its own children too). Processes not named stop last.
        """
        phases = [list(phase) for phase in phases]
        named = {name for phase in phases for name in phase}
        phases.append([name for name in self.children if name not in named])
        codes: dict[str, int | None] = {}
        for phase in phases:
            children = [self.children[name] for name in phase if name in self.children]
            for child in children:
                if child.running:
                    assert child.process is not None
                    child.process.send_signal(signal.SIGTERM)
            for child in children:
                codes[child.name] = self._reap(child)
        return codes

    def kill_all(self) -> None:
        """Kill every process group still running (the last resort, e.g. when start-up failed half-way)."""
        for child in self.children.values():
            if child.running:
                assert child.process is not None
                with suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()

    @staticmethod
    def _reap(child: Child) -> int | None:
        if child.process is None:
            return None
        deadline = time.monotonic() + child.stop_seconds
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            # While its leader lives the group is surely its own: kill it, pool processes included.
            with suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
        return child.process.wait()
