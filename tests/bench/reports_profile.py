"""Profile the reports benchmark's endpoints in-process: CPU, SQL statements and Redis round trips per request.

Run `make bench-reports` once first (it writes the data this reads). Then
`.venv/bin/python tests/bench/reports_profile.py [--profile] [--throttle]`: each endpoint's requests go
through the whole Django stack (middleware, authentication, permissions, throttle, view, rendering)
with the benchmark's settings and a REST client's bearer token, as in gunicorn; the figures are
`time.process_time()` per request (load-independent), statements and Redis commands sent per request.
`--profile` adds a cProfile of each endpoint (top functions by cumulative time); `--throttle` turns
the per-caller rate limit on (the benchmark turns it off to measure the endpoints, production has it).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.reports_settings"
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")
os.environ["ALIENPORTAL_APP_NAME"] = "alienportal-bench"
os.environ["DJANGO_DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "ERROR"
os.environ["API_THROTTLE_RATE"] = "1000000/min" if "--throttle" in sys.argv else ""
os.environ["REPORTS_API_CLIENT_IDS"] = "reports-bench"
os.environ["COGNITO_ISSUER"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench"
os.environ["COGNITO_JWKS_URL"] = "http://127.0.0.1:1/unset"  # replaced below, once the key server listens
_database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alienportal")
os.environ["DATABASE_URL"] = _database.rsplit("/", 1)[0] + "/" + _database.rsplit("/", 1)[1] + "_reports_bench"

import django  # noqa: E402

django.setup()

import redis.connection  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tests.bench.reports import MAIN, Keys, index_ranking, nickname  # noqa: E402

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", 300))


class Counter:
    """Counts SQL statements (an execute wrapper) and Redis commands sent (each send is a round trip)."""

    def __init__(self) -> None:
        self.statements = 0
        self.redis = 0
        original = redis.connection.AbstractConnection.send_packed_command

        def send_packed_command(conn: object, command: object, check_health: bool = True) -> object:
            self.redis += 1
            return original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.statements += 1
        return execute(sql, params, many, context)


def main() -> None:
    keys = Keys()
    settings.COGNITO_JWKS_URL = keys.url
    client = Client(HTTP_AUTHORIZATION=f"Bearer {keys.token()}")
    rng = random.Random(1)
    standings = int(os.environ.get("BENCH_STANDINGS", 1_000_000))
    index_ranking(standings)  # the suite empties its Redis database: rebuild the index if it went
    ranking = f"/api/v1/sessions/{MAIN}/ranking/"
    cases = {
        "ranking page (50)": lambda: f"{ranking}?start={rng.randrange(1, standings - 50)}&limit=50",
        "player position (+/- 5)": lambda: f"/api/v1/sessions/{MAIN}/players/{nickname(rng.randrange(standings))}/",
        "historical leaderboard (50)": lambda: f"/api/v1/leaderboard/?start={rng.randrange(1, 1001)}&limit=50",
    }
    counter = Counter()
    print(f"{'endpoint':30} {'CPU ms/req':>10} {'wall ms/req':>11} {'SQL/req':>8} {'Redis/req':>9}")
    for name, make_path in cases.items():
        for _ in range(20):  # warm: connections, key set, URL resolver
            assert client.get(make_path()).status_code == 200
        paths = [make_path() for _ in range(REQUESTS)]
        counter.statements = counter.redis = 0
        profiler = cProfile.Profile(time.process_time) if "--profile" in sys.argv else None
        with connection.execute_wrapper(counter):
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.content[:200])
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{name:30} {cpu / REQUESTS * 1000:10.2f} {wall / REQUESTS * 1000:11.2f} "
            f"{counter.statements / REQUESTS:8.2f} {counter.redis / REQUESTS:9.2f}"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    keys.close()


if __name__ == "__main__":
    main()
