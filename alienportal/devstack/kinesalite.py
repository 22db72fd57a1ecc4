"""kinesalite on loopback: a Kinesis that splits and merges shards as AWS does (moto does not), for tests."""

from __future__ import annotations

from pathlib import Path

from alienportal.devstack.services import ChildService, child_start, free_port, node_command, port_open

KINESALITE_DIR = Path(__file__).resolve().parents[2] / "devtools" / "kinesalite"


def kinesalite_start(*, log_dir: Path, port: int | None = None) -> ChildService:
    """Start kinesalite (in memory, streams ready after 50 ms) on a loopback port; wait until it listens."""
    command = node_command(
        directory=KINESALITE_DIR, script="server.js", package="kinesalite", make_target="kinesalite", what="kinesalite"
    )
    port = port or free_port()
    return child_start(
        name="kinesalite",
        command=command,
        cwd=KINESALITE_DIR,
        port=port,
        log_dir=log_dir,
        ready=lambda: port_open("127.0.0.1", port),
        timeout=30,
        what="kinesalite",
        env={"KINESALITE_PORT": str(port)},
    )
