"""Reports API benchmark: `make bench-reports`. Prints a table and writes bench-results/reports.json.

Loopback HTTP against gunicorn as the README runs it in production (gthread workers) with wrk,
authenticated as a REST client (a signed access token, keys from a JWKS endpoint this script
serves), for the ranking page, a player's position and the historical leaderboard; each beside a
straightforward ORM version of the same endpoint (tests/bench/reports_urls.py) in the same run, on
the same data; and the stack's floor (GET /api/auth/me/: the same server, middleware, DRF and token
check, no database), what every call costs before its own work.

Data (kept between runs in a database of its own, `<DATABASE_URL name>_reports_bench`): one
session of BENCH_STANDINGS (default 1,000,000) standings, and three more sessions of
BENCH_STANDINGS / 10 each whose players partly overlap, for the historical leaderboard.
Knobs: BENCH_SECONDS (per endpoint, default 10), BENCH_CONNECTIONS (default 8),
BENCH_WORKERS (gunicorn workers, default 3), BENCH_THREADS (threads a worker, default 8),
BENCH_LEADERBOARD_DEPTH (deepest leaderboard window start, default 1000).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")
# Ranking indexes of their own in Redis, apart from the test suite's and the demo's.
os.environ["ALIENPORTAL_APP_NAME"] = "alienportal-bench"

import django  # noqa: E402

django.setup()

import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.db import connection  # noqa: E402

from tests.bench.cpu import cpu_seconds  # noqa: E402
from tests.tokens import jwks_served  # noqa: E402

MAIN = "X261127T000001"
OTHERS = ("X261126T000001", "X261125T000001", "X261124T000001")
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench"
CLIENT_ID = "reports-bench"
BASE = datetime(2026, 11, 27, tzinfo=UTC)


# What any authenticated call costs before its own work: gunicorn, the middleware, DRF, the bearer
# token's verification and a small JSON answer (GET /api/auth/me/ reads no database and no Redis).
FLOOR = ["/api/auth/me/"]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def nickname(index: int) -> str:
    return f"p{index:07d}"


def populate(standings: int) -> None:
    """Create the sessions and their standings with COPY, once (kept between runs)."""
    from scoreboard.models import Standing
    from scoreboard.ranking import rank_key
    from sessions.models import GameSession, GameType

    sizes = {MAIN: standings, **dict.fromkeys(OTHERS, standings // 10)}
    for days, (session_id, size) in enumerate(sizes.items()):
        session, _ = GameSession.objects.get_or_create(
            session_id=session_id,
            defaults={
                "game_type": GameType.MULTIPLE_TRIALS,
                "opening_time": BASE - timedelta(days=days),
                "closing_time": BASE - timedelta(days=days) + timedelta(hours=2),
            },
        )
        if Standing.objects.filter(session=session).count() == size:
            continue
        Standing.objects.filter(session=session).delete()
        print(f"  writing {size:,} standings of {session_id} ...", flush=True)
        rng = random.Random(days)
        # The smaller sessions are played by a sample of the main session's players and by newcomers.
        players = range(size) if session_id == MAIN else rng.sample(range(standings + size), size)
        now = BASE
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                "COPY scoreboard_standing (session_id, nickname, score, lives, shots, level, event_time, shard_id,"
                " sequence_number, rank_key, revision, updated_at, current_score, current_lives, current_shots,"
                " current_level, current_rank_key) FROM STDIN"
            ) as copy,
        ):
            for sequence, index in enumerate(players):
                name = nickname(index)
                score, lives, shots = rng.randrange(0, 100_000), rng.randrange(0, 4), rng.randrange(0, 5_000)
                key = rank_key(score=score, lives=lives, shots=shots, nickname=name)
                copy.write_row(
                    (
                        session.pk,
                        name,
                        score,
                        lives,
                        shots,
                        1,
                        now,
                        "shardId-0",
                        sequence,
                        key,
                        1,
                        now,
                        *(score, lives, shots, 1, key),
                    )
                )
    with connection.cursor() as cursor:
        # As autovacuum leaves a settled table: statistics, and a visibility map for index-only scans.
        cursor.execute("VACUUM (ANALYZE) scoreboard_standing")


def index_ranking(standings: int) -> None:
    from scoreboard.ranking import ranking_count, ranking_is_ready, ranking_rebuild
    from sessions.models import GameSession

    session = GameSession.objects.get(session_id=MAIN)
    if ranking_is_ready(session_pk=session.pk) and ranking_count(session_pk=session.pk) == standings:
        return
    print(f"  building the Redis ranking index of {standings:,} players ...", flush=True)
    ranking_rebuild(session_pk=session.pk)


class Keys:
    """A signing key and a loopback JWKS endpoint, as Cognito serves them."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        # The suite's loopback JWKS server (tests.tokens), held open until close().
        self._served = ExitStack()
        served = self._served.enter_context(jwks_served(keys=[{**jwk, "kid": "bench", "alg": "RS256", "use": "sig"}]))
        self.url = served.url

    def close(self) -> None:
        self._served.close()

    def token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": CLIENT_ID,
            "client_id": CLIENT_ID,
            "token_use": "access",
            "scope": "reports/read",
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "bench"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_start(*, port: int, workers: int, jwks_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.reports_settings",
        "DJANGO_DEBUG": "false",
        "API_THROTTLE_RATE": "",  # the load comes from one client: measure the endpoints, not the limit
        "COGNITO_JWKS_URL": jwks_url,
        "COGNITO_ISSUER": ISSUER,
        "REPORTS_API_CLIENT_IDS": CLIENT_ID,
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "alienportal.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            os.environ.get("BENCH_THREADS", "8"),
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(ROOT),
            "--log-level",
            "warning",
            "--preload",  # imports once, in the master, not on each worker's first request
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not start")


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter * 7919) %% #paths + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def server_cpu(*, master: int, database: str) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each gunicorn worker (children of `master`) and each of PostgreSQL's
    backends of `database`, by pid: per request, a figure that does not depend on what else runs."""
    found: dict[str, dict[int, float]] = {"workers": {}, "postgres": {}}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == master:
            found["workers"][int(entry.name)] = cpu_seconds(int(entry.name))
        elif cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            found["postgres"][int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings by the processes alive at the second (one that exited is lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def warm(*, port: int, paths: list[str], token: str, count: int) -> None:
    """Send a few requests one by one, so every worker has its connections and caches before timing."""
    for path in paths[:count]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 - loopback
            assert answer.status == 200, (path, answer.status)


def load(*, port: int, paths: list[str], token: str, seconds: int, connections: int, cpu: Any) -> dict[str, Any]:
    """Run wrk over `paths` (in a fixed shuffled order) and return requests/s, latency percentiles (ms)
    and the CPU milliseconds per request of the server's workers and PostgreSQL (`cpu()` reads them)."""
    with tempfile.TemporaryDirectory() as folder:
        path_file = Path(folder) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        script = Path(folder) / "load.lua"
        script.write_text(WRK_SCRIPT % {"paths": path_file, "token": token})
        # A short warm-up first: every worker has its connection, JWKS and URL resolver ready.
        for duration in (2, seconds):
            before = cpu()
            answer = subprocess.run(
                ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s", "-s", str(script),
                 f"http://127.0.0.1:{port}"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            after = cpu()
    line = next(line for line in answer.stdout.splitlines() if line.startswith("RESULT"))
    requests, micros, errors, p50, p95, p99 = line.split()[1:]
    served = int(requests)
    return {
        "requests": int(requests),
        "requests_per_s": int(requests) / (int(micros) / 1e6),
        "errors": int(errors),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        # None when no request finished (the naive versions at depth): no per-request figure then.
        "worker_cpu_ms_per_request": cpu_used(before["workers"], after["workers"]) * 1000 / served if served else None,
        "postgres_cpu_ms_per_request": (
            cpu_used(before["postgres"], after["postgres"]) * 1000 / served if served else None
        ),
        "load_average": os.getloadavg()[0],
    }


def database_quiet(database: str) -> int:
    """Cancel the statements still running in `database` (a naive request at depth outlives wrk's
    timeout and would go on loading PostgreSQL during the next measurement); return how many."""
    from django.db import connection as ours

    with ours.cursor() as cursor:
        cursor.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()",
            [database],
        )
        cancelled = len(cursor.fetchall())
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                " AND pid <> pg_backend_pid()",
                [database],
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)
    return cancelled


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main() -> None:
    from django.test.utils import setup_databases

    standings = _env_int("BENCH_STANDINGS", 1_000_000)
    seconds = _env_int("BENCH_SECONDS", 10)
    connections = _env_int("BENCH_CONNECTIONS", 8)
    workers = _env_int("BENCH_WORKERS", 3)
    depth = _env_int("BENCH_LEADERBOARD_DEPTH", 1000)
    database = connection.settings_dict
    database["TEST"]["NAME"] = f"{database['NAME']}_reports_bench"
    setup_databases(verbosity=0, interactive=False, keepdb=True, serialized_aliases=set())
    os.environ["DATABASE_URL"] = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    print(
        f"data: {standings:,} standings in {MAIN}, {standings // 10:,} in each of {', '.join(OTHERS)} ...", flush=True
    )
    populate(standings)
    index_ranking(standings)
    connection.close()

    rng = random.Random(1)
    page = 50
    ranking = [
        f"/sessions/{MAIN}/ranking/?start={rng.randrange(1, standings - page)}&limit={page}" for _ in range(2000)
    ]
    players = [f"/sessions/{MAIN}/players/{nickname(rng.randrange(standings))}/" for _ in range(2000)]
    board = [f"/leaderboard/?start={rng.randrange(1, depth + 1)}&limit={page}" for _ in range(2000)]
    cases = [
        ("ranking page (50, random start)", ranking),
        ("player position (+/- 5 around)", players),
        (f"historical leaderboard (50, start <= {depth:,})", board),
        ("stack floor: the caller's identity, no SQL", FLOOR),
    ]
    keys = Keys()
    token = keys.token()
    port = free_port()
    server = gunicorn_start(port=port, workers=workers, jwks_url=keys.url)
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg()[0],
            "note": "gunicorn, PostgreSQL, Redis and wrk share the machine's cores; rates depend on what else runs "
            "(see the load averages), CPU ms per request does not",
        },
        "setup": {
            "standings_main_session": standings,
            "standings_leaderboard": standings + 3 * (standings // 10),
            "gunicorn_workers": workers,
            "wrk_connections": connections,
            "seconds": seconds,
            "auth": "bearer access token (RS256) of a REST client with reports/read",
        },
        "endpoints": {},
    }
    try:
        for name, paths in cases:
            row = {}
            # The stack's floor has no naive twin: the same path, nothing to compare.
            versions = [("floor", "")] if paths is FLOOR else [("ours", "/api/v1"), ("naive ORM", "/api/bench/naive")]
            for kind, prefix in versions:
                print(f"{name}: {kind} ...", flush=True)
                warm(port=port, paths=[prefix + path for path in paths], token=token, count=4 * workers)
                row[kind] = load(
                    port=port,
                    paths=[prefix + path for path in paths],
                    token=token,
                    seconds=seconds,
                    connections=connections,
                    cpu=lambda: server_cpu(master=server.pid, database=database["NAME"]),
                )
                cancelled = row[kind]["statements_cancelled_after"] = database_quiet(database["NAME"])
                if cancelled:
                    print(f"  cancelled {cancelled} of its statements still running (gunicorn logs them)", flush=True)
            results["endpoints"][name] = row
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a naive request at depth still running: its figures are in
            server.kill()
            server.wait()
        keys.close()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "reports.json").write_text(json.dumps(results, indent=2))
    print()
    print(
        f"{'endpoint':46} {'impl':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'CPU ms/req: workers':>20} {'postgres':>9} {'load':>5}"
    )
    for name, row in results["endpoints"].items():
        for kind, figures in row.items():
            print(
                f"{name:46} {kind:10} {figures['requests_per_s']:8.1f} {figures['p50_ms']:8.2f} "
                f"{figures['p95_ms']:8.2f} {figures['p99_ms']:8.2f} {figures['errors']:7d}"
                f" {_ms(figures['worker_cpu_ms_per_request']):>20} {_ms(figures['postgres_cpu_ms_per_request']):>9}"
                f" {figures['load_average']:5.1f}"
            )
    print(
        "goal: ranking page and position p95 <= 20 ms at >= 500 requests/s on 2 cores.",
        results["machine"]["note"],
        f"(load average before the run: {results['machine']['load_average_before']:.1f}).",
    )


if __name__ == "__main__":
    main()
