"""The README's demo command brings the portal up, feeds the stream, and Ctrl-C stops everything."""

import http.client
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psutil
import pytest

from alienportal.devstack.services import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _get(host: str, port: int, path: str) -> http.client.HTTPResponse:
    """GET without following redirects, so the test sees where the portal sends a stranger."""
    connection = http.client.HTTPConnection(host, port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _wait_for(pattern: str, output: list[str], process: subprocess.Popen[str], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line:
            output.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        elif process.poll() is not None:
            break
    raise AssertionError(f"{pattern!r} never appeared; output:\n{''.join(output)[-4000:]}")


def test_demo_serves_the_portal_feeds_the_stream_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    web_port, moto_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEMO_PORT": str(web_port),
        "DEMO_MOTO_PORT": str(moto_port),
        "DEMO_OIDC_PORT": str(free_port()),
        "DEMO_RATE": "50",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEVSTACK_STATE_FILE": str(tmp_path / "devstack.json"),
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.local",
        "DJANGO_READ_DOT_ENV": "0",
    }
    for key in ("AWS_ENDPOINT_URL", "DJANGO_SECRET_KEY"):
        env.pop(key, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "alienportal.devstack.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        endpoint = _wait_for(r"embedded AWS \(moto server\): (\S+)", output, process, 60).group(1)
        assert endpoint == f"http://127.0.0.1:{moto_port}"
        provider = _wait_for(r"OpenID provider \(sign-in page\): (\S+)", output, process, 120).group(1)
        _wait_for(r"Alien Portal: http://localhost:\d+/admin/", output, process, 120)
        _wait_for(r"as a manager.*: manager / ", output, process, 5)

        # The portal is closed to strangers: its admin sends them to sign in at the provider.
        deadline = time.monotonic() + 60
        first = None
        while time.monotonic() < deadline and first is None:
            try:
                first = _get("127.0.0.1", web_port, "/admin/")
            except OSError:
                time.sleep(0.5)
        assert first is not None
        assert first.status == 302
        assert first.getheader("Location", "").startswith("/oidc/authenticate/")
        to_provider = _get("127.0.0.1", web_port, first.getheader("Location", ""))
        assert to_provider.status == 302
        assert to_provider.getheader("Location", "").startswith(provider)
        provider_url = urlsplit(provider)
        discovery = _get(provider_url.hostname or "", provider_url.port or 80, "/.well-known/openid-configuration")
        assert discovery.status == 200

        kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
        stream = "alienportal-gamestatus"
        seen = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen == 0:
            for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
                iterator = kinesis.get_shard_iterator(
                    StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                seen += len(kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"])
            time.sleep(1)
        assert seen > 0, "the simulated game put no record on the stream"

        # The pipeline drains the stream into the demo's database: standings of the open session
        # appear, and nothing the simulator sent (all valid) becomes a dead letter.
        database = sqlite3.connect(tmp_path / "demo.sqlite3", timeout=30)
        standings = 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and standings == 0:
            standings = database.execute("SELECT count(*) FROM scoreboard_standing").fetchone()[0]
            time.sleep(1)
        dead_letters = database.execute("SELECT count(*) FROM scoreboard_deadletter").fetchone()[0]
        database.close()
        assert standings > 0, "the drain put no standing in the database"
        assert dead_letters == 0

        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 4
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    _gone, alive = psutil.wait_procs(children, timeout=20)
    assert alive == [], f"processes left running after Ctrl-C: {[p.pid for p in alive]}"
