"""Throttle benchmark (part of `make bench-reports`): how many of a burst of concurrent requests each
throttle lets through when one caller's budget is RATE requests. DRF's cache throttle reads the
caller's history, decides, and writes it back; the atomic one is one Redis Lua call per request.

Sizes (environment): BENCH_THROTTLE_RATE (default 100), BENCH_THROTTLE_THREADS (default 32),
BENCH_THROTTLE_REQUESTS (per thread, default 10), BENCH_THROTTLE_ROUNDS (default 5).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from rest_framework.throttling import SimpleRateThrottle  # noqa: E402

from alienportal.api.throttling import AtomicCallerRateThrottle, caller_ident  # noqa: E402


class DrfCacheThrottle(SimpleRateThrottle):
    """DRF's own cache throttle (history in Django's cache, here Redis), keyed per caller as ours is."""

    scope = "bench"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return f"bench-drf:{caller_ident(self, request)}"


def burst(throttle: type[SimpleRateThrottle], *, threads: int, requests: int, caller: str) -> int:
    request = SimpleNamespace(auth={"sub": caller, "client_id": "bench"}, user=None, META={"REMOTE_ADDR": "127.0.0.1"})
    start = threading.Barrier(threads)
    allowed = [0] * threads

    def run(index: int) -> None:
        start.wait()
        for _ in range(requests):
            if throttle().allow_request(request, None):
                allowed[index] += 1

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(allowed)


def main() -> None:
    rate = int(os.environ.get("BENCH_THROTTLE_RATE", 100))
    threads = int(os.environ.get("BENCH_THROTTLE_THREADS", 32))
    requests = int(os.environ.get("BENCH_THROTTLE_REQUESTS", 10))
    rounds = int(os.environ.get("BENCH_THROTTLE_ROUNDS", 5))
    settings.API_THROTTLE_RATE = f"{rate}/hour"
    results = {}
    for name, throttle in [
        ("DRF cache throttle", DrfCacheThrottle),
        ("atomic Redis throttle", AtomicCallerRateThrottle),
    ]:
        results[name] = [
            burst(throttle, threads=threads, requests=requests, caller=f"{name.split()[0]}-{os.getpid()}-{n}")
            for n in range(rounds)
        ]
    cache.clear()
    print(f"throttle: {threads} threads x {requests} requests at once, budget {rate} per caller, {rounds} rounds")
    for name, allowed in results.items():
        print(f"  {name:24} allowed {allowed}  (budget {rate}; max over budget {max(allowed) - rate})")


if __name__ == "__main__":
    main()
