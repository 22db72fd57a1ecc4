"""Redis clients, one per URL and process, every one with socket timeouts (a stalled Redis never hangs a worker)."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings

SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0


@cache
def redis_at(
    url: str, *, socket_timeout: float = SOCKET_TIMEOUT, connect_timeout: float = CONNECT_TIMEOUT
) -> redis.Redis:
    """Return this process's client for `url`; callers on a request path pass shorter timeouts."""
    # Clients are thread-safe and hold a connection pool, so each process keeps one per URL.
    return redis.Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=connect_timeout)


def redis_client() -> redis.Redis:
    """Return this process's client of the portal's Redis (REDIS_URL): rankings, live updates, locks."""
    return redis_at(settings.REDIS_URL)
