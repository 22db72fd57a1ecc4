"""API rate limiting per caller that holds under concurrency: one atomic Redis step per request.

DRF's cache throttles read the request history, decide, then write it back: two requests that
read at the same time both see room for one more and both pass (measured in tests/bench/throttle.py).
Here each request is one Lua call (INCR, and PEXPIRE when the window starts), which Redis runs
atomically, so a caller never gets more than the rate per window, however many requests race.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from alienportal.auth.tokens import token_client_id
from alienportal.redis_clients import redis_at

logger = logging.getLogger(__name__)

# KEYS[1]: the caller's counter. ARGV[1]: the window in ms. Returns {requests in window, ms left}.
_WINDOW_LUA = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


@cache
def _script(url: str) -> Any:
    client = redis_at(url, socket_timeout=2, connect_timeout=1)
    return client.register_script(_WINDOW_LUA)


def caller_ident(throttle: SimpleRateThrottle, request: Any) -> str:
    """Who a request counts against: the token's client and subject, the signed-in user, else the address."""
    claims = getattr(request, "auth", None)
    if isinstance(claims, dict) and claims.get("sub"):
        return f"token:{token_client_id(claims)}:{claims['sub']}"
    if request.user is not None and request.user.is_authenticated and request.user.pk is not None:
        return f"user:{request.user.pk}"
    return f"addr:{throttle.get_ident(request)}"


class AtomicCallerRateThrottle(SimpleRateThrottle):
    """A fixed window of API_THROTTLE_RATE per caller, counted atomically in Redis; 429 with Retry-After."""

    scope = "caller"

    def get_rate(self) -> str | None:
        # Read at request time, not import time, so the environment and tests can change it.
        return str(settings.API_THROTTLE_RATE) if settings.API_THROTTLE_RATE else None

    def get_cache_key(self, request: Any, view: Any) -> str:
        return f"{settings.APP_NAME}:throttle:{self.scope}:{caller_ident(self, request)}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        limit, period = self.parse_rate(self.rate)
        if limit is None or period is None:
            return True
        try:
            count, left_ms = _script(settings.REDIS_URL)(
                keys=[self.get_cache_key(request, view)], args=[int(period * 1000)]
            )
        except RedisError:
            # Rate limiting protects the service; an unreachable Redis must not take the API down with it.
            logger.warning("throttle_unavailable scope=%s", self.scope)
            return True
        self._wait = max(0.001, int(left_ms) / 1000)
        return int(count) <= limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
