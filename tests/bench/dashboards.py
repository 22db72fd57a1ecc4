"""Dashboards benchmark: `make bench-dashboards`. Prints a table and writes bench-results/dashboards.json.

1. put -> on screen: records put on a moto stream at BENCH_DASH_RATE (1,000) records/s while a
   `stream_drain` worker drains it and Chromium shows the live ranking from a `runserver`; once a
   second a probe player takes the lead with a new score, and the page's own MutationObserver
   stamps when that score appears in the top row. Latency = shown - put (same machine clock).
2. live callbacks on one session of BENCH_DASH_STANDINGS (1,000,000) standings, POSTed to
   django-plotly-dash's update endpoint as a signed-in manager (the whole request path).
3. history callbacks on BENCH_DASH_SESSIONS x BENCH_DASH_PLAYERS (1,000 x 1,000) standings, one
   score event per standing.
4. an idle drain: GetRecords calls per second and CPU of one worker on an empty shard.

It uses a PostgreSQL database of its own (`<DATABASE_URL name>_dashbench`) and REDIS_URL's Redis
database (flushed). This machine is shared (2 cores, other jobs running): figures vary run to run.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

SESSION_ID = "X261127T000000"
PROBE = "zz-probe"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timings(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.5) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reset() -> None:
    from scoreboard.ranking import redis_client

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE scoreboard_scoreevent, scoreboard_standing, scoreboard_deadletter, scoreboard_shardmetrics,"
            " scoreboard_shardlease, scoreboard_sessiondiscards, scoreboard_workerheartbeat,"
            " game_sessions_seat, game_sessions_gamesession CASCADE"
        )
    redis_client().flushdb()


def manager_client() -> Any:
    from django.contrib.auth.models import User

    from alienportal.access import Role
    from alienportal.auth.services import user_roles_sync
    from tests.portal import portal_client

    user, _ = User.objects.get_or_create(username="bench-manager")
    user_roles_sync(user=user, groups=[Role.MANAGERS.value])
    return portal_client(User.objects.get(pk=user.pk))


def open_session(session_id: str = SESSION_ID, **extra: Any) -> Any:
    from sessions.models import GameSession, GameType

    return GameSession.objects.create(
        session_id=session_id,
        game_type=extra.pop("game_type", GameType.MULTIPLE_TRIALS),
        opening_time=extra.pop("opening_time", datetime.now(UTC) - timedelta(hours=1)),
        **extra,
    )


# --- 1. put -> on screen in a real browser ------------------------------------------------------

OBSERVER = """
window.__seen = {};
const rows = document.getElementById('top-rows');
const stamp = () => {
  const cell = rows && rows.querySelector('tr td.score');
  if (cell && !(cell.textContent in window.__seen)) { window.__seen[cell.textContent] = Date.now(); }
};
new MutationObserver(stamp).observe(rows, {childList: true, subtree: true, characterData: true});
stamp();
"""


def browser_freshness(seconds: int, rate: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from alienportal.aws import aws_client
    from alienportal.devstack.services import MOTO_CREDENTIALS, moto_start
    from scoreboard.stream.records import Snapshot
    from tests.machine import CHROMIUM, CHROMIUM_ARGS

    reset()
    open_session()
    client = manager_client()
    for key, value in MOTO_CREDENTIALS.items():
        os.environ[key] = value
    moto = moto_start(log_dir=ROOT / "var" / "bench-logs")
    os.environ["AWS_ENDPOINT_URL"] = settings.AWS_ENDPOINT_URL = moto.url
    stream = "bench-dashboards"
    kinesis = aws_client("kinesis")
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "KINESIS_STREAM_NAME": stream,
        "DJANGO_DEBUG": "true",  # runserver serves the static files (Dash's bundles)
    }
    port = free_port()
    logs = ROOT / "var" / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "stream_drain", "--seconds", str(seconds + 60)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(logs / "dash-drain.log").open("w"),
    )
    web = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(logs / "dash-web.log").open("w"),
    )
    put_at: dict[str, float] = {}
    in_database: dict[str, float] = {}
    watching = True

    def watch() -> None:
        # When each probe score became the probe's standing in PostgreSQL: splits the latency into
        # "put -> committed by the drain" and "committed -> on screen".
        from django.db import connection as watcher_connection

        from scoreboard.models import Standing

        while watching:
            score = (
                Standing.objects.filter(session__session_id=SESSION_ID, nickname=PROBE)
                .values_list("score", flat=True)
                .first()
            )
            if score is not None and str(score) not in in_database:
                in_database[str(score)] = time.time()
            time.sleep(0.01)
        watcher_connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": f"http://127.0.0.1:{port}"}]
            )
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"/reports/dashboards/live/?session={SESSION_ID}")
            page.locator("#top-chart .main-svg").first.wait_for()
            page.evaluate(OBSERVER)
            time.sleep(3)  # worker discovery and lease acquisition
            watcher.start()

            rng = random.Random(7)
            scores: dict[int, int] = {}
            total = seconds * rate
            per_call = rate // 5
            sent = probes = 0
            started = time.monotonic()
            # The first probe after 5 s of load: the drain has caught up with its start-up backlog.
            next_probe = started + 5.0
            while sent < total:
                now_stamp = datetime.now(UTC)
                entries = []
                for _ in range(per_call):
                    player = rng.randrange(2000)
                    scores[player] = scores.get(player, 0) + 10
                    snapshot = Snapshot(
                        session_id=SESSION_ID,
                        nickname=f"p{player:05d}",
                        score=scores[player],
                        lives=3,
                        shots=1,
                        level=1,
                        timestamp=now_stamp,
                    )
                    entries.append({"Data": snapshot.encode(), "PartitionKey": snapshot.nickname})
                probe_score = None
                if time.monotonic() >= next_probe:
                    probes += 1
                    probe_score = 1_000_000_000 + probes
                    probe = Snapshot(
                        session_id=SESSION_ID,
                        nickname=PROBE,
                        score=probe_score,
                        lives=3,
                        shots=1,
                        level=1,
                        timestamp=now_stamp,
                    )
                    entries.append({"Data": probe.encode(), "PartitionKey": PROBE})
                    next_probe = time.monotonic() + 1.0
                before = time.time()
                kinesis.put_records(StreamName=stream, Records=entries)
                if probe_score is not None:
                    put_at[f"{probe_score}"] = before
                sent += len(entries)
                delay = started + sent / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            achieved = sent / (time.monotonic() - started)
            time.sleep(5)
            seen: dict[str, int] = page.evaluate("window.__seen")
            page.screenshot(path=str(logs / "dash-bench-live.png"), full_page=True)
            browser.close()
    finally:
        watching = False
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)
        moto.stop()
    latencies = [seen[score] / 1000 - put for score, put in put_at.items() if score in seen]
    committed = [in_database[score] - put for score, put in put_at.items() if score in in_database]
    shown_after_commit = [
        seen[score] / 1000 - in_database[score] for score in put_at if score in seen and score in in_database
    ]
    return {
        "put_to_committed_p50_s": percentile(committed, 0.5),
        "put_to_committed_p95_s": percentile(committed, 0.95),
        "committed_to_screen_p50_s": percentile(shown_after_commit, 0.5),
        "committed_to_screen_p95_s": percentile(shown_after_commit, 0.95),
        "rate_target": rate,
        "rate_achieved": achieved,
        "probes": len(put_at),
        "samples": len(latencies),
        "not_shown": len(put_at) - len(latencies),
        "p50_s": percentile(latencies, 0.5),
        "p95_s": percentile(latencies, 0.95),
        "max_s": max(latencies) if latencies else float("nan"),
    }


# --- 2. live callbacks on one session of 1,000,000 standings -------------------------------------


def standings_fill(session_pk: int, count: int, *, players: int | None = None, first: int = 1) -> None:
    """Insert `count` standings with random scores (rank keys as scoreboard.ranking builds them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoreboard_standing (session_id, nickname, score, lives, shots, level, event_time,"
            " shard_id, sequence_number, rank_key, revision, updated_at,"
            " current_score, current_lives, current_shots, current_level, current_rank_key)"
            " SELECT *, score, lives, shots, level, rank_key FROM ("
            " SELECT %s, n, sc AS score, l AS lives, sh AS shots, 1 AS level, now(), 'shardId-000000000000', i, "
            " lpad((9007199254740991 - sc)::text, 16, '0') || lpad((1000 - l)::text, 4, '0')"
            " || lpad(sh::text, 10, '0') || n AS rank_key, 1, now()"
            " FROM (SELECT i, 'player' || lpad(((i - 1) %% %s + 1)::text, 7, '0') AS n,"
            " (random() * 100000)::bigint AS sc, (random() * 3)::int AS l, (random() * 5000)::bigint AS sh"
            " FROM generate_series(%s, %s) i) AS g) AS standings",
            [session_pk, players or count, first, first + count - 1],
        )


def dash_post(client: Any, app: str, body: dict[str, Any]) -> int:
    response = client.post(
        f"/reports/dashboards/dash/app/{app}/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
    )
    return int(response.status_code)


def live_callbacks(standings: int, iterations: int) -> dict[str, Any]:
    from scoreboard.ranking import ranking_rebuild
    from tests.reports.dashboards.test_live_callbacks import STATS_OUTPUT, ranking_body

    reset()
    session = open_session(top_x=10)
    started = time.perf_counter()
    standings_fill(session.pk, standings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoreboard_standing")
    ranking_rebuild(session_pk=session.pk)
    load = time.perf_counter() - started
    client = manager_client()
    rng = random.Random(5)
    unchanged, changed, stats = [], [], []
    seen = None
    first = client.post(
        "/reports/dashboards/dash/app/live_ranking/_dash-update-component",
        data=json.dumps(ranking_body(search=f"?session={SESSION_ID}")),
        content_type="application/json",
    ).json()
    seen = first["response"]["seen"]["data"]
    stats_body = {
        "output": STATS_OUTPUT,
        "outputs": [],
        "inputs": [
            {"id": "stats-tick", "property": "n_intervals", "value": 1},
            {"id": "url", "property": "search", "value": f"?session={SESSION_ID}"},
        ],
        "state": [{"id": "rate-samples", "property": "data", "value": []}],
    }
    for _ in range(iterations):
        t0 = time.perf_counter()
        assert dash_post(client, "live_ranking", ranking_body(search=f"?session={SESSION_ID}", seen=seen)) == 200
        unchanged.append(time.perf_counter() - t0)
        player = f"player{rng.randint(1, standings):07d}"
        t0 = time.perf_counter()
        assert dash_post(client, "live_ranking", ranking_body(search=f"?session={SESSION_ID}", player=player)) == 200
        changed.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert dash_post(client, "live_ranking", stats_body) == 200
        stats.append(time.perf_counter() - t0)
    return {
        "standings": standings,
        "load_seconds": load,
        "ranking_unchanged_no_update": timings(unchanged),
        "ranking_changed_top10_chart_and_player_neighbours": timings(changed),
        "stats_seats_rate_time_left": timings(stats),
    }


# --- 3. history on 1,000 sessions x 1,000 players --------------------------------------------------


def history_callbacks(sessions: int, players: int, iterations: int) -> dict[str, Any]:
    from sessions.models import GameSession, GameType
    from tests.reports.dashboards.test_history import history_body

    reset()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    GameSession.objects.bulk_create(
        GameSession(
            session_id=f"X{index:06d}",
            game_type=GameType.MULTIPLE_TRIALS,
            opening_time=base + timedelta(hours=6 * index),
            closing_time=base + timedelta(hours=6 * index, minutes=30),
        )
        for index in range(sessions)
    )
    pks = list(GameSession.objects.order_by("pk").values_list("pk", flat=True))
    pool = players * 3  # players come back: each session draws from a pool three times its size
    for index, pk in enumerate(pks):
        standings_fill(pk, players, players=pool, first=index * players + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoreboard_scoreevent (session_id, nickname, score, lives, shots, level, event_time,"
            " shard_id, sequence_number, stream_created_at)"
            " SELECT session_id, nickname, score, lives, shots, level, event_time, shard_id, sequence_number,"
            " '2025-01-01T00:00:00+00:00' FROM scoreboard_standing"
        )
        cursor.execute("ANALYZE")
    load = time.perf_counter() - started
    client = manager_client()
    last = base + timedelta(hours=6 * (sessions - 1))
    week_from = (last - timedelta(days=7)).date().isoformat()
    rng = random.Random(9)
    results: dict[str, Any] = {"sessions": sessions, "players_per_session": players, "load_seconds": load}
    cases = {
        "all_sessions_leaderboard_compare_latest_50": lambda: history_body(),
        "last_week_leaderboard_and_sessions": lambda: history_body(start=week_from),
        "one_player_all_sessions": lambda: history_body(nickname=f"player{rng.randint(1, pool):07d}"),
        "compare_10_chosen_sessions": lambda: history_body(
            sessions=[f"X{rng.randrange(sessions):06d}" for _ in range(10)]
        ),
    }
    for name, body in cases.items():
        values = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            assert dash_post(client, "history", body()) == 200
            values.append(time.perf_counter() - t0)
        results[name] = timings(values)
    values = []
    for _ in range(iterations):
        body = {
            "output": "timeline-chart.figure",
            "outputs": {"id": "timeline-chart", "property": "figure"},
            "inputs": [{"id": "timeline-session", "property": "value", "value": f"X{rng.randrange(sessions):06d}"}],
            "state": [{"id": "nickname", "property": "value", "value": f"player{rng.randint(1, pool):07d}"}],
        }
        t0 = time.perf_counter()
        assert dash_post(client, "history", body) == 200
        values.append(time.perf_counter() - t0)
    results["score_over_time_one_session"] = timings(values)
    return results


# --- 4. an idle drain ----------------------------------------------------------------------------


def idle_drain(seconds: int) -> dict[str, Any]:
    from alienportal.aws import aws_client
    from alienportal.devstack.services import MOTO_CREDENTIALS, moto_start
    from scoreboard.stream.consumer import shard_drain
    from scoreboard.stream.shards import shards_sync

    reset()
    for key, value in MOTO_CREDENTIALS.items():
        os.environ[key] = value
    moto = moto_start(log_dir=ROOT / "var" / "bench-logs")
    os.environ["AWS_ENDPOINT_URL"] = settings.AWS_ENDPOINT_URL = moto.url
    try:
        kinesis = aws_client("kinesis")
        stream = "bench-idle"
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
        lease = shards_sync(kinesis=kinesis, stream_name=stream)[0]
        calls = 0

        def count(**_kwargs: Any) -> None:
            nonlocal calls
            calls += 1

        # A botocore event listener, not a stub: the real call still goes to the moto server.
        kinesis.meta.events.register("before-call.kinesis.GetRecords", count)
        cpu0, wall0 = time.process_time(), time.monotonic()
        shard_drain(kinesis=kinesis, stream_name=stream, shard_id=lease.shard_id, owner="bench-idle", seconds=seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    finally:
        moto.stop()
    return {"seconds": wall, "get_records_per_s": calls / wall, "cpu_percent_of_one_core": 100 * cpu / wall}


def main() -> None:
    from django.test.utils import setup_databases

    database = connection.settings_dict
    database["TEST"]["NAME"] = f"{database['NAME']}_dashbench"
    setup_databases(verbosity=0, interactive=False, keepdb=True, serialized_aliases=set())
    os.environ["DATABASE_URL"] = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    sizes = {
        "rate": _env_int("BENCH_DASH_RATE", 1000),
        "seconds": _env_int("BENCH_DASH_SECONDS", 60),
        "standings": _env_int("BENCH_DASH_STANDINGS", 1_000_000),
        "sessions": _env_int("BENCH_DASH_SESSIONS", 1000),
        "players": _env_int("BENCH_DASH_PLAYERS", 1000),
        "iterations": _env_int("BENCH_DASH_ITERATIONS", 100),
        "history_iterations": _env_int("BENCH_DASH_HISTORY_ITERATIONS", 20),
        "idle_seconds": _env_int("BENCH_DASH_IDLE_SECONDS", 20),
    }
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "note": "shared 2-core machine; other jobs ran concurrently"},
        "sizes": sizes,
    }
    only = set(filter(None, os.environ.get("BENCH_DASH_ONLY", "").split(",")))
    steps = [
        ("idle_drain", lambda: idle_drain(sizes["idle_seconds"])),
        ("browser_freshness", lambda: browser_freshness(sizes["seconds"], sizes["rate"])),
        ("live_callbacks", lambda: live_callbacks(sizes["standings"], sizes["iterations"])),
        (
            "history_callbacks",
            lambda: history_callbacks(sizes["sessions"], sizes["players"], sizes["history_iterations"]),
        ),
    ]
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    for name, step in steps:
        if only and name not in only:
            continue
        print(f"{name} ...", flush=True)
        results[name] = step()
        print(json.dumps(results[name], indent=2, default=str), flush=True)
        (out / "dashboards.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # the drain thread's teardown noise is not a result
    main()
