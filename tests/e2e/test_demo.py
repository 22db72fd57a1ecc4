"""The README's demo command brings the portal up, feeds the stream, and Ctrl-C stops everything.

Run twice on one database, as a developer runs `make demo` again: the second run's fresh moto
is a new incarnation of the stream, and the second run must still show scores.
"""

import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psutil
import pytest

from alienportal.devstack.services import free_port

ROOT = Path(__file__).resolve().parents[2]
STATUS_LINE = r"\[demo\] \d\d:\d\d:\d\d [\d,.]+ records/s · \d+ open sessions? · \d+ players? · \d+ dead letters?"

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


class Demo:
    """`python -m alienportal.devstack.demo` in a process group of its own, as a terminal runs it."""

    def __init__(self, tmp_path: Path):
        self.web_port, self.moto_port = free_port(), free_port()
        env = {
            **os.environ,
            "DEMO_PORT": str(self.web_port),
            "DEMO_MOTO_PORT": str(self.moto_port),
            "DEMO_OIDC_PORT": str(free_port()),
            "DEMO_RATE": "50",
            "DEMO_STATUS_SECONDS": "2",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "DEVSTACK_STATE_FILE": str(tmp_path / "devstack.json"),
            "DJANGO_SETTINGS_MODULE": "alienportal.settings.local",
            "DJANGO_READ_DOT_ENV": "0",
        }
        for key in ("AWS_ENDPOINT_URL", "DJANGO_SECRET_KEY"):
            env.pop(key, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alienportal.devstack.demo"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        self.children: list[psutil.Process] = []

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        return _wait_for(pattern, self.output, self.process, timeout)

    def ctrl_c(self) -> tuple[int, str]:
        """Send SIGINT to the demo's whole process group, as the terminal does; return (status, output)."""
        self.children = psutil.Process(self.process.pid).children(recursive=True)
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            rest, _ = self.process.communicate(timeout=90)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.output.append(rest)
        return self.process.returncode, "".join(self.output)


def _records_on_stream(endpoint: str) -> int:
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
    seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and seen == 0:
        for shard in kinesis.list_shards(StreamName="alienportal-gamestatus")["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName="alienportal-gamestatus", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            seen += len(kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"])
        time.sleep(1)
    return seen


def _standings_since(database_path: Path, since: datetime) -> int:
    """Standings changed since `since` (UTC), polled for up to 90 s until there are some."""
    database = sqlite3.connect(database_path, timeout=30)
    stamp = since.strftime("%Y-%m-%d %H:%M:%S.%f")  # how Django stores an aware datetime in SQLite
    try:
        deadline = time.monotonic() + 90
        changed = 0
        while time.monotonic() < deadline and changed == 0:
            query = "SELECT count(*) FROM scoreboard_standing WHERE updated_at > ?"
            changed = database.execute(query, [stamp]).fetchone()[0]
            time.sleep(1)
        return changed
    finally:
        database.close()


def _events_since(database_path: Path, since: datetime) -> int:
    """Score events stamped after `since` (UTC), polled for up to 90 s until there are some."""
    database = sqlite3.connect(database_path, timeout=30)
    stamp = since.strftime("%Y-%m-%d %H:%M:%S.%f")
    try:
        deadline = time.monotonic() + 90
        stored = 0
        while time.monotonic() < deadline and stored == 0:
            query = "SELECT count(*) FROM scoreboard_scoreevent WHERE event_time > ?"
            stored = database.execute(query, [stamp]).fetchone()[0]
            time.sleep(1)
        return stored
    finally:
        database.close()


def _assert_stopped_cleanly(demo: Demo) -> str:
    status, output = demo.ctrl_c()
    assert status == 0, output[-4000:]
    assert "Traceback" not in output
    assert re.search(r"\[demo\] ran \d+m\d\ds: [\d,]+ records? drained", output), output[-2000:]
    assert "[demo] stopped cleanly" in output
    _gone, alive = psutil.wait_procs(demo.children, timeout=20)
    assert alive == [], f"processes left running after Ctrl-C: {[p.pid for p in alive]}"
    return output


def test_demo_serves_the_portal_feeds_the_stream_stops_on_ctrl_c_and_runs_again(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    demo = Demo(tmp_path)
    try:
        endpoint = demo.wait_for(r"embedded AWS \(moto server\): (\S+)", 60).group(1)
        assert endpoint == f"http://127.0.0.1:{demo.moto_port}"
        provider = demo.wait_for(r"OpenID provider \(sign-in page\): (\S+)", 120).group(1)
        # The sign-in block comes once everything answers, after the start-up lines.
        demo.wait_for(r"ready in \d+ s", 180)
        demo.wait_for(r"Alien Portal: http://localhost:\d+/$", 5)  # the home page
        demo.wait_for(r"as a manager.*: manager / ", 5)
        session_id = demo.wait_for(r"simulated game feeding session (\S+)", 5).group(1)

        # The portal is closed to strangers: its admin sends them to sign in at the provider.
        first = _get("127.0.0.1", demo.web_port, "/admin/")
        assert first.status == 302
        assert first.getheader("Location", "").startswith("/oidc/authenticate/")
        to_provider = _get("127.0.0.1", demo.web_port, first.getheader("Location", ""))
        assert to_provider.status == 302
        assert to_provider.getheader("Location", "").startswith(provider)
        provider_url = urlsplit(provider)
        discovery = _get(provider_url.hostname or "", provider_url.port or 80, "/.well-known/openid-configuration")
        assert discovery.status == 200

        assert _records_on_stream(endpoint) > 0, "the simulated game put no record on the stream"
        # The pipeline drains the stream into the demo's database: standings of the open session
        # appear, and nothing the simulator sent (all valid) becomes a dead letter.
        assert _standings_since(database, datetime(2000, 1, 1)) > 0, "the drain put no standing in the database"
        # The terminal is calm: a status line every DEMO_STATUS_SECONDS, the services' logs in files.
        demo.wait_for(STATUS_LINE, 30)
        assert (ROOT / "var" / "log" / "stream.log").stat().st_size > 0
        assert len(psutil.Process(demo.process.pid).children(recursive=True)) >= 4
    except BaseException:
        demo.process.kill()
        raise
    _assert_stopped_cleanly(demo)
    # The workers shut down warm: no pool process was killed under a task.
    for name in ("worker", "stream", "archive"):
        log = (ROOT / "var" / "log" / f"{name}.log").read_text(errors="replace")
        assert "Warm shutdown" in log
        assert "WorkerLostError" not in log
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM scoreboard_deadletter").fetchone()[0] == 0
        first_checkpoints = connection.execute(
            "SELECT checkpoint FROM scoreboard_shardlease WHERE consumer = 'drain'"
        ).fetchall()
    assert len(first_checkpoints) == 2
    assert all(checkpoint for (checkpoint,) in first_checkpoints)

    # Again, on the same database: a new moto, so a new stream that starts at sequence number 1
    # while the database holds the first run's checkpoints.
    second_started = datetime.now(UTC)
    demo = Demo(tmp_path)
    try:
        endpoint = demo.wait_for(r"embedded AWS \(moto server\): (\S+)", 60).group(1)
        demo.wait_for(r"ready in \d+ s", 180)
        assert demo.wait_for(r"simulated game feeding session (\S+)", 30).group(1) == session_id
        # The session the database says is published is in this run's (empty at start) SSM too.
        ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
        document = json.loads(ssm.get_parameter(Name="/alienportal/session")["Parameter"]["Value"])
        assert document["SessionId"] == session_id
        assert _standings_since(database, second_started) > 0, "the second run drained nothing into the standings"
        # Its records are numbered from 1 again, like the first run's: their score events are
        # stored beside the first run's (the incarnation is part of an event's identity).
        assert _events_since(database, second_started) > 0, "the second run's score events were dropped"
        demo.wait_for(STATUS_LINE, 30)
    except BaseException:
        demo.process.kill()
        raise
    _assert_stopped_cleanly(demo)
    with sqlite3.connect(database) as connection:
        leases = connection.execute(
            "SELECT consumer, count(*), count(retired_at) FROM scoreboard_shardlease GROUP BY consumer ORDER BY 1"
        ).fetchall()
        drained = connection.execute(
            "SELECT l.checkpoint, m.records_processed FROM scoreboard_shardlease l"
            " JOIN scoreboard_shardmetrics m ON m.lease_id = l.id WHERE l.consumer = 'drain' AND l.retired_at IS NULL"
        ).fetchall()
        first_drained = connection.execute(
            "SELECT sum(checkpoint) FROM scoreboard_shardlease WHERE consumer = 'drain' AND retired_at IS NOT NULL"
        ).fetchone()[0]
        stamp = second_started.strftime("%Y-%m-%d %H:%M:%S.%f")
        events = connection.execute(
            "SELECT sum(event_time > ?), sum(event_time <= ?), count(*) FROM scoreboard_scoreevent", [stamp, stamp]
        ).fetchone()
        dead_letters = connection.execute("SELECT count(*) FROM scoreboard_deadletter").fetchone()[0]
    # Two shards, two consumers: the first run's leases kept as history, the second run's live.
    assert leases == [("archive", 4, 2), ("drain", 4, 2)]
    # This run's stream numbered its records from 1 again, and the drain read them all from there
    # (moto's sequence numbers are consecutive): not after the first run's checkpoints.
    assert len(drained) == 2
    assert all(checkpoint and processed >= int(checkpoint) for checkpoint, processed in drained), drained
    # Every record either run drained (all valid: no dead letter; numbered 1..checkpoint) is one
    # score event, the second run's included, though its sequence numbers are the first run's again.
    assert dead_letters == 0
    assert events[:2] == (sum(int(checkpoint) for checkpoint, _ in drained), int(first_drained)), events
