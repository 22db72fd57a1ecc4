"""Run the whole portal on embedded defaults: moto, Redis, Celery, the web server and a simulated game.

Usage: `python -m alienportal.devstack.demo` (what `make demo` runs). The services log to files
under var/log/; the terminal shows the sign-in block once everything answers, then a status line
every DEMO_STATUS_SECONDS (30). Ctrl-C stops every process it started, in order, prints a summary
and exits 0. Every knob is an environment variable (README, "Settings").
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from alienportal.devstack.oidc import ROLE_HINTS, oidc_provider_for_demo
from alienportal.devstack.processes import ProcessGroup
from alienportal.devstack.services import (
    MOTO_CREDENTIALS,
    ChildService,
    moto_start,
    port_open,
    redis_ensure,
    wait_until,
)
from alienportal.settings import settings_module_default

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
LOG_DIR = VAR / "log"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# Stopped in this order: what produces records first, the workers once nothing new comes, the
# status line last (its summary counts what the workers committed).
STOP_ORDER = [["game"], ["web"], ["beat"], ["worker", "stream", "archive"], ["status"]]


class DemoStopped(Exception):
    """Ctrl-C (or SIGTERM) arrived while the demo was starting."""


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def _manage(env: dict[str, str], *args: str) -> str:
    # A process group of its own: a Ctrl-C during start-up lets the step finish, then the demo stops.
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        process_group=0,
    )
    if result.returncode != 0:
        raise SystemExit(f"[demo] manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@contextmanager
def _terminal_foreground() -> Iterator[None]:
    """Make the demo alone the terminal's foreground process group while it runs.

    A Ctrl-C is sent to the whole foreground group: to `make` too, which then dies of SIGINT
    whatever the demo does (GNU make re-raises it: "Error 130"). In a group of its own the
    signal reaches the demo only; it stops cleanly, hands the terminal back, and make sees exit 0.
    Nothing changes without a terminal, or when the demo runs in the background.
    """
    try:
        foreground = os.tcgetpgrp(sys.stdin.fileno()) if sys.stdin.isatty() else None
    except OSError:
        foreground = None
    if foreground is None or foreground != os.getpgrp() or os.getpid() == os.getsid(0):
        yield
        return
    os.setpgid(0, 0)
    # A background group changing the foreground gets SIGTTOU unless it ignores it.
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(sys.stdin.fileno(), os.getpgrp())
        yield
    finally:
        with suppress(OSError):  # the terminal is gone
            os.tcsetpgrp(sys.stdin.fileno(), foreground)
        signal.signal(signal.SIGTTOU, previous)


def main() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    with _terminal_foreground():
        code = run(stop)
    sys.exit(code)


def _check(stop: threading.Event) -> None:
    if stop.is_set():
        raise DemoStopped


def run(stop: threading.Event) -> int:
    """Start everything, show the status until `stop` is set, stop everything; return the exit status."""
    began = time.monotonic()
    VAR.mkdir(exist_ok=True)
    LOG_DIR.mkdir(exist_ok=True)
    started: list[ChildService] = []
    manager = ProcessGroup(log_dir=LOG_DIR)
    try:
        redis = redis_ensure(url=os.environ.get("REDIS_URL"), data_dir=VAR / "redis", own_group=True)
        started.append(redis)
        _say(f"redis: {redis.url}" + (" (embedded)" if redis.process else ""))

        aws_endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not aws_endpoint:
            port = int(os.environ.get("DEMO_MOTO_PORT", "4566"))
            moto = moto_start(port=None if port_open("127.0.0.1", port) else port, log_dir=LOG_DIR, own_group=True)
            started.append(moto)
            aws_endpoint = moto.url
            _say(f"embedded AWS (moto server): {aws_endpoint}")

        web_port = os.environ.get("DEMO_PORT", "8000")
        env = {
            **os.environ,
            **({} if os.environ.get("AWS_ACCESS_KEY_ID") else MOTO_CREDENTIALS),
            "AWS_ENDPOINT_URL": aws_endpoint,
            "REDIS_URL": redis.url,
            "DJANGO_SETTINGS_MODULE": settings_module_default(),
            # The demo is development, said explicitly: the development key serves only with DEBUG on.
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),
            "PYTHONUNBUFFERED": "1",
            # Ctrl-C lets each worker finish its task (warm shutdown): short tasks keep that short.
            "STREAM_DRAIN_SECONDS": os.environ.get("STREAM_DRAIN_SECONDS", "10"),
            "ARCHIVE_TASK_SECONDS": os.environ.get("ARCHIVE_TASK_SECONDS", "10"),
        }

        _check(stop)
        _say("migrating the database")
        _manage(env, "migrate", "--noinput")
        _check(stop)
        _say("provisioning stream, bucket, SSM parameter and Cognito pool")
        _manage(env, "provision_aws", "--callback-url", f"http://localhost:{web_port}/oidc/callback/")
        state_file = Path(os.environ.get("DEVSTACK_STATE_FILE", VAR / "devstack.json"))
        state = json.loads(state_file.read_text())
        env["COGNITO_USER_POOL_ID"] = state["user_pool_id"]
        _check(stop)
        # Sign-in: moto has no hosted UI, so a real OpenID provider on loopback plays Cognito's.
        oidc = oidc_provider_for_demo(demo_users=state["demo_users"], web_port=web_port, var=VAR, log_dir=LOG_DIR)
        started.append(oidc)
        env.update(oidc.extra)
        env["GAME_API_CLIENT_IDS"] = state["game_client_id"]
        env["REPORTS_API_CLIENT_IDS"] = state["reports_client_id"]
        _say(f"OpenID provider (sign-in page): {oidc.url}")
        _manage(env, "demo_superuser")
        _check(stop)

        # A real open session (published to SSM) for the simulated game to feed; an open one
        # left by an earlier run is reused.
        named = ["--session-id", os.environ["DEMO_SESSION_ID"]] if os.environ.get("DEMO_SESSION_ID") else []
        opened = _manage(env, "open_session", "--game-type", "MULTIPLE_TRIALS", "--reuse-open", *named)
        session_id = opened.strip().splitlines()[-1]
        manager.add_process(
            "worker",
            f"{BIN / 'celery'} -A alienportal worker --loglevel INFO --concurrency 2",
            cwd=str(ROOT),
            env=env,
            stop_seconds=30,
        )
        manager.add_process(
            "stream",  # the stream drain's own queue: one slot per shard (scoreboard)
            f"{BIN / 'celery'} -A alienportal worker -Q stream --loglevel INFO -n stream@%h "
            f"--concurrency {os.environ.get('KINESIS_SHARD_COUNT', '2')}",
            cwd=str(ROOT),
            env=env,
            stop_seconds=30,
        )
        manager.add_process(
            "archive",  # the raw archive's own queue: one slot per shard (scoreboard.archive)
            f"{BIN / 'celery'} -A alienportal worker -Q archive --loglevel INFO -n archive@%h "
            f"--concurrency {os.environ.get('KINESIS_SHARD_COUNT', '2')}",
            cwd=str(ROOT),
            env=env,
            stop_seconds=30,
        )
        manager.add_process("beat", f"{BIN / 'celery'} -A alienportal beat --loglevel INFO", cwd=str(ROOT), env=env)
        manager.add_process(
            "web", f"{PYTHON} manage.py runserver 127.0.0.1:{web_port} --noreload", cwd=str(ROOT), env=env
        )
        manager.add_process(
            "game",
            f"{PYTHON} manage.py simulate_game --via api --portal-url http://127.0.0.1:{web_port} "
            f"--wait-for-portal 120 --players 30 "
            f"--rate {os.environ.get('DEMO_RATE', '20')} --duration 86400 --quiet",
            cwd=str(ROOT),
            env=env,
        )
        manager.add_process(
            "status",
            f"{PYTHON} manage.py pipeline_status --every {os.environ.get('DEMO_STATUS_SECONDS', '30')} "
            "--prefix '[demo] '",
            cwd=str(ROOT),
            env=env,
            terminal=True,
        )
        _check(stop)
        _say(f"starting Celery, the web server and the simulated game (their logs: {LOG_DIR}/)")
        manager.start()
        wait_until(
            lambda: stop.is_set() or port_open("127.0.0.1", int(web_port)),
            timeout=120,
            what="the web server",
            process=manager.children["web"].process,
            log=manager.children["web"].log_path,
        )
        _check(stop)
        _say("")
        _say(f"ready in {time.monotonic() - began:.0f} s")
        _say(f"Alien Portal: http://localhost:{web_port}/")
        _say(f"API docs:     http://localhost:{web_port}/api/docs/")
        # runserver is daphne's (alienportal.settings: `daphne` first app): pages, APIs and WebSockets.
        _say(f"game API:     http://localhost:{web_port}/v1/ (WebSockets on the same server)")
        _say("break-glass admin: admin / admin-demo-password (local superuser, demo only)")
        _say(f"sign in at http://localhost:{web_port}/ (break-glass: /auth/break-glass/):")
        for user in state["demo_users"]:
            hint = ROLE_HINTS.get(user["group"], user["group"])
            _say(f"  as {hint}: {user['username']} / {user['password']}")
        _say(f"simulated game feeding session {session_id} on stream {state['stream_name']}")
        _say(f"services log to {LOG_DIR}/; Ctrl-C stops everything")
        _say("")
        ended = manager.wait(stop=stop)
        if ended is not None:
            code = ended.process.returncode if ended.process else None
            _say(f"{ended.name} exited on its own (code {code}); see {ended.log_path or 'above'}")
        _say("stopping: simulated game, web server, beat, then the workers (each finishes its task)")
        manager.stop(STOP_ORDER)
        _say(f"stopped{' cleanly' if ended is None else ''}; logs in {LOG_DIR}/")
        return 0 if ended is None else 1
    except DemoStopped:
        _say("stopped during start-up")
        manager.stop(STOP_ORDER)
        return 0
    except BaseException:
        manager.kill_all()
        raise
    finally:
        for service in reversed(started):
            service.stop()


if __name__ == "__main__":
    main()
