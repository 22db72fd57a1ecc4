"""A real Celery worker publishes the session, and keeps retrying through an SSM outage until it lands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from alienportal.celery import app
from alienportal.dates import js_time
from alienportal.devstack.services import ChildService, free_port, moto_start
from sessions.models import GameType
from sessions.selectors import publication_get
from sessions.services import session_close, session_open
from tests.machine import LOG_DIR


def _wait_for(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def ssm_server() -> Iterator[dict[str, Any]]:
    """A moto server of this test's own, on a fixed port, so it can be stopped and started again."""
    port = free_port()
    holder = {"server": moto_start(port=port, log_dir=LOG_DIR), "port": port}
    yield holder
    server: ChildService | None = holder["server"]
    if server is not None:
        server.stop()


@pytest.fixture
def worker(ssm_server: dict[str, Any]) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker on the test database, talking to the test's own SSM."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ssm_server['port']}",
        "AWS_MAX_ATTEMPTS": "1",
        "SESSIONS_PUBLISH_RETRY_BACKOFF_MAX": "1",
        "DJANGO_READ_DOT_ENV": "0",
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    app.control.purge()  # tasks left in this Redis database by earlier tests are not this test's
    with (LOG_DIR / "celery-worker-sessions.log").open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "alienportal", "worker", "--pool", "solo"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
    yield process
    process.terminate()
    process.wait(timeout=30)


def _ssm_value(port: int) -> Any:
    client = boto3.client("ssm", endpoint_url=f"http://127.0.0.1:{port}", region_name=settings.AWS_REGION)
    try:
        return json.loads(client.get_parameter(Name=settings.SSM_SESSION_PARAMETER)["Parameter"]["Value"])
    except Exception:
        return None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_retries_through_an_ssm_outage_until_the_closed_session_is_published(
    manager: User, ssm_server: dict[str, Any], worker: subprocess.Popen[bytes]
) -> None:
    port = ssm_server["port"]
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, session_id="Worker")
    opened = _wait_for(lambda: _ssm_value(port), timeout=60, what="the worker to publish the opened session")
    assert opened["SessionId"] == "Worker"
    assert "ClosingTime" not in opened

    ssm_server["server"].stop()  # SSM outage
    ssm_server["server"] = None
    session = session_close(manager=manager, session=session)
    _wait_for(lambda: publication_get().failed_attempts >= 2, timeout=30, what="the worker to fail and retry")
    assert publication_get().is_pending
    assert "Could not connect" in publication_get().last_error

    ssm_server["server"] = moto_start(port=port, log_dir=LOG_DIR)  # SSM is back, empty
    closed = _wait_for(
        lambda: (value := _ssm_value(port)) and "ClosingTime" in value and value, timeout=60, what="a retry to land"
    )
    assert closed == {
        "GameType": "SINGLE_TRIAL",
        "Synchronized": False,
        "SessionId": "Worker",
        "OpeningTime": js_time(session.opening_time),
        "TotalSeats": 150,
        "ClosingTime": js_time(session.closing_time),
    }
    # The worker records its success right after SSM took the value: wait for that write too.
    publication = _wait_for(
        lambda: (row := publication_get()) and not row.is_pending and row, timeout=30, what="the success to be recorded"
    )
    assert (publication.is_pending, publication.last_error) == (False, "")
