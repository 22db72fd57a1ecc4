"""CPU time of processes from /proc, for the benches' CPU-per-record figures (less load-sensitive than rates)."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str = "self", *, children: bool = False) -> float:
    """User + system CPU of a process from /proc, with its exited children's when asked (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / CLOCK_TICKS


def postgres_cpu() -> float:
    """CPU seconds of PostgreSQL so far: its live processes, and the backends that exited (counted in
    the postmaster's children's time), so a worker's backend is counted after it disconnects too."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(entry.name, children=True)
            except (FileNotFoundError, ProcessLookupError):
                continue
    return total


def database_backends_cpu() -> dict[int, float]:
    """CPU seconds of each server process connected to this process's database (PostgreSQL on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid: cpu_seconds(pid) for (pid,) in cursor.fetchall()}
