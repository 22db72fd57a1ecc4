"""Run the whole portal on embedded defaults: moto, Redis, Celery, the web server and a simulated game.

Usage: `python -m alienportal.devstack.demo` (what `make demo` runs). Ctrl-C stops every process
it started. Every knob is an environment variable (README, "Settings").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager

from alienportal.devstack.oidc import ROLE_HINTS, oidc_provider_for_demo
from alienportal.devstack.services import MOTO_CREDENTIALS, ChildService, moto_start, port_open, redis_ensure
from alienportal.settings import settings_module_default

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"[demo] manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main() -> None:
    VAR.mkdir(exist_ok=True)
    started: list[ChildService] = []
    try:
        redis = redis_ensure(url=os.environ.get("REDIS_URL"), data_dir=VAR / "redis")
        started.append(redis)
        _say(f"redis: {redis.url}" + (" (embedded)" if redis.process else ""))

        aws_endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not aws_endpoint:
            port = int(os.environ.get("DEMO_MOTO_PORT", "4566"))
            moto = moto_start(port=None if port_open("127.0.0.1", port) else port, log_dir=VAR / "logs")
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
        }

        _say("migrating the database")
        _manage(env, "migrate", "--noinput")
        _say("provisioning stream, bucket, SSM parameter and Cognito pool")
        _manage(env, "provision_aws", "--callback-url", f"http://localhost:{web_port}/oidc/callback/")
        state_file = Path(os.environ.get("DEVSTACK_STATE_FILE", VAR / "devstack.json"))
        state = json.loads(state_file.read_text())
        env["COGNITO_USER_POOL_ID"] = state["user_pool_id"]
        # Sign-in: moto has no hosted UI, so a real OpenID provider on loopback plays Cognito's.
        oidc = oidc_provider_for_demo(demo_users=state["demo_users"], web_port=web_port, var=VAR)
        started.append(oidc)
        env.update(oidc.extra)
        env["GAME_API_CLIENT_IDS"] = state["game_client_id"]
        env["REPORTS_API_CLIENT_IDS"] = state["reports_client_id"]
        _say(f"OpenID provider (sign-in page): {oidc.url}")
        _manage(env, "demo_superuser")

        # A real open session (published to SSM) for the simulated game to feed; an open one
        # left by an earlier run is reused.
        named = ["--session-id", os.environ["DEMO_SESSION_ID"]] if os.environ.get("DEMO_SESSION_ID") else []
        opened = _manage(env, "open_session", "--game-type", "MULTIPLE_TRIALS", "--reuse-open", *named)
        session_id = opened.strip().splitlines()[-1]
        manager = Manager()
        manager.add_process(
            "worker",
            f"{BIN / 'celery'} -A alienportal worker --loglevel INFO --concurrency 2",
            cwd=str(ROOT),
            env=env,
        )
        manager.add_process(
            "stream",  # the stream drain's own queue: one slot per shard (scoreboard)
            f"{BIN / 'celery'} -A alienportal worker -Q stream --loglevel INFO -n stream@%h "
            f"--concurrency {os.environ.get('KINESIS_SHARD_COUNT', '2')}",
            cwd=str(ROOT),
            env=env,
        )
        manager.add_process(
            "archive",  # the raw archive's own queue: one slot per shard (scoreboard.archive)
            f"{BIN / 'celery'} -A alienportal worker -Q archive --loglevel INFO -n archive@%h "
            f"--concurrency {os.environ.get('KINESIS_SHARD_COUNT', '2')}",
            cwd=str(ROOT),
            env=env,
        )
        manager.add_process("beat", f"{BIN / 'celery'} -A alienportal beat --loglevel INFO", cwd=str(ROOT), env=env)
        manager.add_process(
            "web", f"{PYTHON} manage.py runserver 127.0.0.1:{web_port} --noreload", cwd=str(ROOT), env=env
        )
        manager.add_process(
            "game",
            f"{PYTHON} manage.py simulate_game --session-id {session_id} --players 30 "
            f"--rate {os.environ.get('DEMO_RATE', '20')} --duration 86400 --quiet",
            cwd=str(ROOT),
            env=env,
        )
        _say("")
        _say(f"Alien Portal: http://localhost:{web_port}/admin/")
        _say(f"API docs:     http://localhost:{web_port}/api/docs/")
        # runserver is daphne's (alienportal.settings: `daphne` first app): pages, APIs and WebSockets.
        _say(f"game API:     http://localhost:{web_port}/v1/ (WebSockets on the same server)")
        _say("break-glass admin: admin / admin-demo-password (local superuser, demo only)")
        _say(f"sign in at http://localhost:{web_port}/admin/ (break-glass: /auth/break-glass/):")
        for user in state["demo_users"]:
            hint = ROLE_HINTS.get(user["group"], user["group"])
            _say(f"  as {hint}: {user['username']} / {user['password']}")
        _say(f"simulated game feeding session {session_id} on stream {state['stream_name']}")
        _say("Ctrl-C stops everything")
        manager.loop()
        sys.exit(manager.returncode)
    finally:
        for service in reversed(started):
            service.stop()


if __name__ == "__main__":
    main()
