"""Scaling out: 1, 2 and 4 drain worker processes on a 4-shard stream, in one run (`make bench-scaling`).

Each worker process holds the leases of its share of the shards (4, 2 or 1) and drains each of
them on a thread of its own, as `manage.py stream_drain` does; their batches go through the
drain's own BatchPipeline and batch_persist, as GetRecords would return them from a backlog
(built before the start, as in `make bench`). All workers start together; the figures are the
records of all shards over the wall time until the last one finishes, the CPU time the workers
spent per record, and PostgreSQL's (its server processes' CPU over the same interval, read from
/proc: every PostgreSQL process counts, so run it on an otherwise idle machine).
Sizes: BENCH_SCALE_RECORDS (default 200,000), BENCH_PLAYERS (20,000).
Prints a table and writes bench-results/scaling.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from tests.bench.cpu import cpu_seconds, postgres_cpu  # noqa: E402
from tests.bench.ingest import _env_int, batches, bench_database, reset  # noqa: E402

SHARDS = tuple(f"shardId-00000000000{index}" for index in range(4))


def worker_main(index: int, workers: int, count: int, players: int) -> None:
    """Child: build its shards' batches, say "ready", wait for "go", drain them; print JSON."""
    from scoreboard.stream.consumer import BatchPipeline
    from scoreboard.stream.leases import lease_acquire

    mine = SHARDS[index::workers]
    work = [(shard, batch) for shard, batch in batches(count=count, players=players, seed=1, shards=SHARDS)]
    work = [(shard, batch) for shard, batch in work if shard in mine]
    fences = {}
    for shard in mine:
        fence = lease_acquire(stream_name="bench", shard_id=shard, owner=f"bench-{index}", seconds=3600)
        assert fence is not None, shard
        fences[shard] = fence
    pipelines = {shard: BatchPipeline(fence=fences[shard], run=lambda action: action()) for shard in mine}
    print("ready", flush=True)
    sys.stdin.readline()
    cpu = cpu_seconds()
    started = time.perf_counter()
    records = sum(len(batch) for _, batch in work)

    def shard_thread(shard: str) -> None:
        # As manage.py stream_drain runs them: each shard on a thread of its own, with its own connection.
        for batch_shard, batch in work:
            if batch_shard == shard:
                pipelines[shard].add(batch, 1000)
        pipelines[shard].commit()
        pipelines[shard].close()
        connection.close()

    threads = [threading.Thread(target=shard_thread, args=(shard,)) for shard in mine]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"records": records, "seconds": seconds, "cpu_seconds": cpu_seconds() - cpu}), flush=True)


def run(workers: int, count: int, players: int) -> dict[str, Any]:
    reset(SHARDS, owner=None)
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(index), str(workers), str(count), str(players)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ,
        )
        for index in range(workers)
    ]
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", line
    postgres = postgres_cpu()
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        out, _ = child.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
        assert child.returncode == 0
    wall = time.perf_counter() - started
    postgres = postgres_cpu() - postgres
    records = sum(result["records"] for result in results)
    worker_cpu = sum(result["cpu_seconds"] for result in results)
    return {
        "workers": workers,
        "records": records,
        "wall_seconds": wall,
        "records_per_s": records / wall,
        "worker_cpu_us_per_record": worker_cpu / records * 1e6,
        "postgres_cpu_us_per_record": postgres / records * 1e6,
        "machine_busy": (worker_cpu + postgres) / (wall * (os.cpu_count() or 1)),
    }


def main() -> None:
    count = _env_int("BENCH_SCALE_RECORDS", 200_000)
    players = _env_int("BENCH_PLAYERS", 20_000)
    bench_database()
    rows = []
    for workers in (1, 2, 4):
        print(f"{workers} worker process(es) on {len(SHARDS)} shards: {count:,} records ...", flush=True)
        rows.append(run(workers, count, players))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "scaling.json").write_text(json.dumps({"cpus": os.cpu_count(), "runs": rows}, indent=2))
    base = rows[0]["records_per_s"]
    print(
        f"\n{'workers':>7}  {'records/s':>10}  {'vs 1':>5}  {'worker CPU µs/rec':>17}  {'PostgreSQL CPU µs/rec':>21}"
        f"  {'machine busy':>12}"
    )
    for row in rows:
        print(
            f"{row['workers']:>7}  {row['records_per_s']:>10,.0f}  {row['records_per_s'] / base:>5.2f}"
            f"  {row['worker_cpu_us_per_record']:>17.1f}  {row['postgres_cpu_us_per_record']:>21.1f}"
            f"  {row['machine_busy']:>12.0%}"
        )
    print(f"\n{os.cpu_count()} CPUs; {count:,} records of {players:,} players; written to bench-results/scaling.json")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
