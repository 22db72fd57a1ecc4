"""kinesalite on loopback: a Kinesis that splits and merges shards as AWS does (moto does not), for tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from alienportal.devstack.services import ChildService, free_port, wait_until

KINESALITE_DIR = Path(__file__).resolve().parents[2] / "devtools" / "kinesalite"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def kinesalite_start(*, log_dir: Path, port: int | None = None) -> ChildService:
    """Start kinesalite (in memory, streams ready after 50 ms) on a loopback port; wait until it listens."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; kinesalite needs Node.js 20+")
    if not (KINESALITE_DIR / "node_modules" / "kinesalite").is_dir():
        raise RuntimeError(f"{KINESALITE_DIR}/node_modules is missing: run `make kinesalite` (npm ci)")
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"kinesalite-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "server.js"],
            cwd=KINESALITE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "KINESALITE_PORT": str(port)},
        )
    wait_until(lambda: _listening(port), timeout=30, what="kinesalite", process=process, log=log_path)
    return ChildService(name="kinesalite", url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
