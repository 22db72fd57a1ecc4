"""Game API benchmark: `make bench-gameapi`. Prints a table and writes bench-results/gameapi.json.

POST /v1/updatestatus as the game sends it (each of a full session's seated players posting their
own status with their own ID token, bare in `Authorization` as the original client does), driven
by wrk over loopback against the portal's production servers, once per Kinesis: moto server, then
kinesalite. GET /v1/session (no stream) beside it. Per run: requests/s, p50/p95/p99, the portal's
CPU per request (its processes' user + system time from /proc over the timed run / requests), the
Kinesis server's CPU per request, errors, the load average, and how many records the stream holds
against the 200s answered ("accepted means on the stream").

Knobs: BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (default 24), BENCH_WORKERS (gunicorn
workers, default 3), BENCH_THREADS (threads per gthread worker, default 8), BENCH_PLAYERS (seated
players, default 150), BENCH_SERVERS (default "gunicorn-gthread,daphne"), BENCH_KINESIS (default
"moto,kinesalite").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")
os.environ["ALIENPORTAL_APP_NAME"] = "alienportal-bench"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import jwt  # noqa: E402
import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from tests.bench.reports import ISSUER, Keys, free_port  # noqa: E402

GAME_CLIENT_ID = "game-bench"
STREAM = "bench-gameapi"
LOG_DIR = ROOT / "var" / "bench-logs"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def id_token(keys: Keys, nickname: str) -> str:
    """An ID token of the game's app client for `nickname`, as Cognito issues it to the game."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": f"sub-{nickname}",
        "aud": GAME_CLIENT_ID,
        "token_use": "id",
        "cognito:username": nickname,
        "cognito:groups": ["Players"],
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, keys.key, algorithm="RS256", headers={"kid": "bench"})


def bench_database() -> None:
    """Point this process (and the servers it starts) at a database of its own, migrated and emptied."""
    from django.test.utils import setup_databases

    database = connection.settings_dict
    database["TEST"]["NAME"] = f"{database['NAME']}_gameapi_bench"
    setup_databases(verbosity=0, interactive=False, keepdb=True, serialized_aliases=set())
    os.environ["DATABASE_URL"] = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )


def session_seat(players: int) -> tuple[str, list[str]]:
    """Open a fresh session of `players` seats and seat every player (through the services, as the API does)."""
    from sessions.models import GameSession, GameType
    from sessions.services import seat_allocate, session_close, session_open

    for session in GameSession.objects.filter(closing_time__isnull=True):
        session_close(manager=None, session=session)
    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS, total_seats=players)
    nicknames = [f"gamer{index:04d}" for index in range(players)]
    for nickname in nicknames:
        seat_allocate(nickname=nickname)
    return session.session_id, nicknames


def stream_create(endpoint: str) -> None:
    import boto3

    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name=settings.AWS_REGION)
    kinesis.create_stream(StreamName=STREAM, ShardCount=settings.KINESIS_SHARD_COUNT)
    kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1})


def stream_count(endpoint: str) -> int:
    """Count the records the stream holds, every shard read from its start."""
    import boto3

    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name=settings.AWS_REGION)
    total = 0
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            total += len(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return total


def server_start(*, kind: str, port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen:
    if kind == "gunicorn-gthread":
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "alienportal.wsgi:application",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--preload",
        ]
    elif kind == "gunicorn-sync":
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "alienportal.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--preload",
        ]
    elif kind == "daphne":
        # The README's one ASGI server for pages, APIs and WebSockets (one process). Django runs
        # each request's sync view in a thread of its own under ASGI, so persistent database
        # connections would pile up, one per thread, until PostgreSQL refuses clients (seen here
        # with the default DATABASE_CONN_MAX_AGE=60): ASGI needs them off, as Django's docs say.
        env = {**env, "DATABASE_CONN_MAX_AGE": "0"}
        command = [
            str(ROOT / ".venv" / "bin" / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "alienportal.asgi:application",
        ]
    else:
        raise ValueError(f"unknown server {kind!r}")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"gameapi-{kind}.log").open("ab")
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    import socket

    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"{kind} exited: see {log.name}") from None
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"{kind} did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and every live descendant (gunicorn's workers)."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


WRK_SCRIPT = """
local players = {}
for line in io.lines("%(players)s") do
  local nickname, token = line:match("^(%%S+)\\t(%%S+)$")
  players[#players + 1] = {nickname = nickname, token = token}
end
local thread_id = 0
local counter = 0
local method = "%(method)s"
setup = function(thread)
  thread:set("thread_id", #threads_seen + 1)
  threads_seen[#threads_seen + 1] = thread
end
threads_seen = {}
init = function(args)
  thread_id = tonumber(wrk.thread:get("thread_id")) or 1
end
request = function()
  counter = counter + 1
  -- Threads take turns through the players, so each posts about as often as the others.
  local index = ((counter * %(threads)d + thread_id) %% #players) + 1
  local player = players[index]
  local headers = {["Authorization"] = player.token}
  if method == "GET" then
    return wrk.format("GET", "/v1/session", headers)
  end
  headers["Content-Type"] = "application/json"
  local now = os.time()
  local body = string.format(
    '{"Timestamp":"%%s.%%03dZ","SessionId":"%(session_id)s","Nickname":"%%s","Lives":3,"Score":%%d,"Shots":%%d,"Level":1}',
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%S", now), counter %% 1000, player.nickname, counter * 5, counter)
  return wrk.format("POST", "/v1/updatestatus", headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""
WRK_THREADS = 2


def wrk_run(*, port: int, script: Path, seconds: int, connections: int) -> dict[str, Any]:
    answer = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(line for line in answer.stdout.splitlines() if line.startswith("RESULT"))
    requests, micros, status_errors, socket_errors, p50, p95, p99 = line.split()[1:]
    return {
        "requests": int(requests),
        "seconds": int(micros) / 1e6,
        "requests_per_s": int(requests) / (int(micros) / 1e6),
        "non_2xx": int(status_errors),
        "socket_errors": int(socket_errors),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
    }


def measure(
    *, port: int, server_pid: int, kinesis_pid: int | None, script: Path, seconds: int, connections: int
) -> dict[str, Any]:
    """One warm-up, then one timed wrk run with the CPU of the portal and of the Kinesis server around it."""
    # Long enough for every worker thread to have built its clients and verified its tokens.
    warm = wrk_run(port=port, script=script, seconds=5, connections=connections)
    portal_before = cpu_seconds(server_pid)
    kinesis_before = cpu_seconds(kinesis_pid) if kinesis_pid else 0.0
    figures = wrk_run(port=port, script=script, seconds=seconds, connections=connections)
    portal = cpu_seconds(server_pid) - portal_before
    kinesis = cpu_seconds(kinesis_pid) - kinesis_before if kinesis_pid else 0.0
    ok = max(1, figures["requests"])
    figures["portal_cpu_us_per_request"] = portal / ok * 1e6
    figures["portal_cpu_share"] = portal / figures["seconds"]
    figures["kinesis_cpu_us_per_request"] = kinesis / ok * 1e6 if kinesis_pid else None
    figures["load_average_1m"] = os.getloadavg()[0]
    figures["answered_2xx_with_warm_up"] = warm["requests"] - warm["non_2xx"] + figures["requests"] - figures["non_2xx"]
    return figures


def cadence_run(*, port: int, players: list[tuple[str, str]], session_id: str, seconds: float) -> dict[str, Any]:
    """The game's own traffic: every seated player posts a status every CADENCE_SECONDS on a connection of its own.

    Open loop, unlike wrk (which sends each connection's next request when the last is answered,
    so its latency is mostly its own queue at saturation): the players start evenly spread over
    one interval, and each status's latency is counted from when it was due, not from when it
    could be sent, so a slow answer delays the next status and counts against it too. The HTTP/1.1
    framing is written here (no async HTTP client is among the project's packages) and kept minimal,
    so the client's own CPU, which it reports, stays small beside the portal's.
    """
    import asyncio

    latencies: list[float] = []
    failures: dict[str, int] = {}

    async def player(nickname: str, token: str, offset: float, start: float, end: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        due, count = start + offset, 0
        try:
            while due < end:
                await asyncio.sleep(max(0.0, due - loop.time()))
                count += 1
                now = datetime.now(UTC)
                body = json.dumps(
                    {
                        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                        "SessionId": session_id,
                        "Nickname": nickname,
                        "Lives": 3,
                        "Score": count * 5,
                        "Shots": count,
                        "Level": 1,
                    }
                ).encode()
                writer.write(
                    (
                        "POST /v1/updatestatus HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"Authorization: {token}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                status = (await reader.readline()).split(b" ")[1].decode()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(loop.time() - due)
                if status != "200":
                    failures[status] = failures.get(status, 0) + 1
                due += CADENCE_SECONDS
        finally:
            writer.close()

    async def session() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time() + 1.0  # every connection open before the first status is due
        end = start + seconds
        spread = CADENCE_SECONDS / len(players)
        await asyncio.gather(
            *(player(name, token, index * spread, start, end) for index, (name, token) in enumerate(players))
        )
        return loop.time() - start

    client_cpu = time.process_time()
    wall = asyncio.run(session())
    client_cpu = time.process_time() - client_cpu
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": wall,
        "requests_per_s": len(latencies) / wall,
        "offered_per_s": len(players) / CADENCE_SECONDS,
        "non_2xx": sum(failures.values()),
        "failures": failures,
        "socket_errors": 0,
        "p50_ms": percentile(0.50),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "client_cpu_us_per_request": client_cpu / max(1, len(latencies)) * 1e6,
    }


# The original client's cadence: one status of each player every 300 ms (DESIGN.md).
CADENCE_SECONDS = 0.3


def cadence_measure(
    *,
    port: int,
    server_pid: int,
    kinesis_pid: int | None,
    players: list[tuple[str, str]],
    session_id: str,
    seconds: int,
) -> dict[str, Any]:
    """One warm-up session of 5 s, then the timed one, with the portal's and the Kinesis server's CPU around it."""
    cadence_run(port=port, players=players, session_id=session_id, seconds=5)
    portal_before = cpu_seconds(server_pid)
    kinesis_before = cpu_seconds(kinesis_pid) if kinesis_pid else 0.0
    figures = cadence_run(port=port, players=players, session_id=session_id, seconds=seconds)
    ok = max(1, figures["requests"])
    figures["portal_cpu_us_per_request"] = (cpu_seconds(server_pid) - portal_before) / ok * 1e6
    kinesis = cpu_seconds(kinesis_pid) - kinesis_before if kinesis_pid else None
    figures["kinesis_cpu_us_per_request"] = kinesis / ok * 1e6 if kinesis is not None else None
    figures["load_average_1m"] = os.getloadavg()[0]
    return figures


def main() -> None:
    from alienportal.devstack.kinesalite import kinesalite_start
    from alienportal.devstack.services import MOTO_CREDENTIALS, moto_start

    seconds = _env_int("BENCH_SECONDS", 10)
    connections = _env_int("BENCH_CONNECTIONS", 24)
    workers = _env_int("BENCH_WORKERS", 3)
    threads = _env_int("BENCH_THREADS", 8)
    players = _env_int("BENCH_PLAYERS", 150)
    servers = os.environ.get("BENCH_SERVERS", "gunicorn-gthread,daphne").split(",")
    backends = os.environ.get("BENCH_KINESIS", "moto,kinesalite").split(",")

    bench_database()
    for key, value in MOTO_CREDENTIALS.items():
        os.environ[key] = value
    moto = moto_start(log_dir=LOG_DIR)
    os.environ["AWS_ENDPOINT_URL"] = settings.AWS_ENDPOINT_URL = moto.url
    kinesalite = kinesalite_start(log_dir=LOG_DIR) if "kinesalite" in backends else None
    keys = Keys()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "note": "2 cores shared with other helpers, PostgreSQL, Redis and wrk"},
        "setup": {
            "players": players,
            "wrk_connections": connections,
            "seconds": seconds,
            "gunicorn_workers": workers,
            "gthread_threads": threads,
            "shards": settings.KINESIS_SHARD_COUNT,
            "auth": "each player's own ID token (RS256), bare in Authorization",
        },
        "runs": [],
    }
    try:
        session_id, nicknames = session_seat(players)
        connection.close()
        endpoints = {"moto": (moto.url, moto.process.pid)}
        if kinesalite is not None:
            endpoints["kinesalite"] = (kinesalite.url, kinesalite.process.pid)
        for backend in backends:
            stream_create(endpoints[backend][0])
        with tempfile.TemporaryDirectory() as folder:
            player_file = Path(folder) / "players.tsv"
            tokens = {name: id_token(keys, name) for name in nicknames}
            player_file.write_text("".join(f"{name}\t{tokens[name]}\n" for name in nicknames))
            scripts = {}
            for method in ("POST", "GET"):
                scripts[method] = Path(folder) / f"{method}.lua"
                scripts[method].write_text(
                    WRK_SCRIPT
                    % {"players": player_file, "method": method, "session_id": session_id, "threads": WRK_THREADS}
                )
            for kind in servers:
                for backend in backends:
                    endpoint, kinesis_pid = endpoints[backend]
                    env = {
                        **os.environ,
                        "DJANGO_DEBUG": "false",
                        "AWS_ENDPOINT_URL": endpoint,
                        "KINESIS_STREAM_NAME": STREAM,
                        "COGNITO_JWKS_URL": keys.url,
                        "COGNITO_ISSUER": ISSUER,
                        "GAME_API_CLIENT_IDS": GAME_CLIENT_ID,
                        "LOG_LEVEL": "ERROR",
                    }
                    port = free_port()
                    server = server_start(kind=kind, port=port, env=env, workers=workers, threads=threads)
                    try:
                        cases = [("POST /v1/updatestatus", "POST")]
                        if backend == backends[0]:
                            cases.append(("GET /v1/session", "GET"))
                        for name, method in cases:
                            print(f"{kind}, {backend}: {name} ...", flush=True)
                            on_stream_before = stream_count(endpoint) if method == "POST" else 0
                            figures = measure(
                                port=port,
                                server_pid=server.pid,
                                kinesis_pid=kinesis_pid if method == "POST" else None,
                                script=scripts[method],
                                seconds=seconds,
                                connections=connections,
                            )
                            if method == "POST":
                                # wrk's warm-up posts too: compare everything posted since the count above.
                                figures["records_added_to_stream"] = stream_count(endpoint) - on_stream_before
                            results["runs"].append({"server": kind, "kinesis": backend, "endpoint": name, **figures})
                        if kind == "gunicorn-gthread":
                            print(f"{kind}, {backend}: a {players}-seat session at the game's cadence ...", flush=True)
                            on_stream_before = stream_count(endpoint)
                            figures = cadence_measure(
                                port=port,
                                server_pid=server.pid,
                                kinesis_pid=kinesis_pid,
                                players=[(name, tokens[name]) for name in nicknames],
                                session_id=session_id,
                                seconds=seconds,
                            )
                            figures["records_added_to_stream"] = stream_count(endpoint) - on_stream_before
                            name = f"updatestatus every {CADENCE_SECONDS * 1000:.0f} ms"
                            results["runs"].append({"server": kind, "kinesis": backend, "endpoint": name, **figures})
                    finally:
                        server.terminate()
                        try:
                            server.wait(timeout=15)
                        except subprocess.TimeoutExpired:
                            server.kill()
                            server.wait(timeout=15)
    finally:
        keys.close()
        moto.stop()
        if kinesalite is not None:
            kinesalite.stop()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "gameapi.json").write_text(json.dumps(results, indent=2))
    table(results)


def table(results: dict[str, Any]) -> None:
    print()
    print(
        f"{'server':17} {'kinesis':11} {'endpoint':26} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'portal us/req':>13} {'kinesis us/req':>14} {'errors':>6} {'load':>5}"
    )
    for run in results["runs"]:
        kinesis_cpu = run["kinesis_cpu_us_per_request"]
        print(
            f"{run['server']:17} {run['kinesis']:11} {run['endpoint']:26} {run['requests_per_s']:7.1f} "
            f"{run['p50_ms']:7.1f} {run['p95_ms']:7.1f} {run['p99_ms']:7.1f} {run['portal_cpu_us_per_request']:13.0f} "
            f"{'-' if kinesis_cpu is None else f'{kinesis_cpu:.0f}':>14} "
            f"{run['non_2xx'] + run['socket_errors']:6d} {run['load_average_1m']:5.1f}"
        )
    print("latencies in ms; CPU per request = the process tree's user+system CPU over the timed run / requests")
    print("goal: >= 500 updatestatus/s with p95 <= 50 ms (a full 150-seat session at the client's 300 ms cadence)")
    print(
        "wrk rows: closed loop (each connection sends when answered: the most the server takes, latency queued);"
        " 'every 300 ms' rows: open loop, each player on its own connection, latency counted from when the status"
        " was due"
    )


if __name__ == "__main__":
    main()
