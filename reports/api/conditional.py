"""Conditional GET for rankings and summaries: a strong ETag of the content, Last-Modified, and 304.

The ETag is a digest of what the response says (never of its `as_of` read time), so it changes
exactly when the content does. Last-Modified is the second this server first answered that ETag
for the URL (kept in Redis): it is never earlier than the last change, so If-Modified-Since
never wrongly answers 304; when the cache forgets, it only moves later.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import cache
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.redis_clients import redis_at

logger = logging.getLogger(__name__)

FIRST_SEEN_SECONDS = 24 * 3600

# KEYS[1]: the URL's record, "<second> <etag>". ARGV: the answer's ETag, now (s), the record's life (s).
# Returns the second that ETag was first answered. One atomic step (it was a cache GET and a SET:
# two round trips, and two servers answering a new ETag at once could each store their own second).
_FIRST_SEEN_LUA = """
local stored = redis.call('GET', KEYS[1])
local at = tonumber(ARGV[2])
if stored then
  local space = string.find(stored, ' ', 1, true)
  local previous = space and tonumber(string.sub(stored, 1, space - 1))
  if previous then
    if string.sub(stored, space + 1) == ARGV[1] then
      return previous
    end
    at = math.max(at, previous + 1)
  end
end
redis.call('SET', KEYS[1], at .. ' ' .. ARGV[1], 'EX', tonumber(ARGV[3]))
return at
"""


@cache
def _first_seen_script(url: str) -> Any:
    return redis_at(url, socket_timeout=2, connect_timeout=1).register_script(_FIRST_SEEN_LUA)


def _first_seen(*, url: str, etag: str) -> int | None:
    """Return the second `etag` was first answered for `url`, later than any earlier ETag's (None: unknown).

    HTTP dates have one-second resolution: content that changes within the second its previous
    ETag was first seen gets the next second, so an If-Modified-Since naming the old content's
    second can never match the new content. Without Redis the answer has no Last-Modified (the
    ETag alone decides), rather than failing.
    """
    key = f"{settings.APP_NAME}:reports:etag:{hashlib.sha256(url.encode()).hexdigest()}"
    try:
        script = _first_seen_script(settings.REDIS_URL)
        return int(script(keys=[key], args=[etag, int(time.time()), FIRST_SEEN_SECONDS]))
    except RedisError:
        logger.warning("conditional_first_seen_unavailable")
        return None


def conditional_response(
    request: Request, data: dict[str, Any], *, stable: dict[str, Any] | None = None
) -> HttpResponse:
    """Answer `data` with ETag and Last-Modified, or 304 Not Modified when the client's copy is current.

    The ETag covers `stable` (default: `data` without its `as_of` read time).
    """
    content = {key: value for key, value in (stable if stable is not None else data).items() if key != "as_of"}
    # orjson: the same canonical form (sorted keys, no spaces) at a tenth of the CPU of json.dumps.
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str))
    etag = f'"{digest.hexdigest()[:32]}"'
    first_seen: int | None = _first_seen(url=request.get_full_path(), etag=etag)
    if first_seen is not None and first_seen > time.time():
        # Changed twice within one second: its Last-Modified is the next second, which a server may
        # not announce before it comes (RFC 9110 8.8.2.1). Until then the ETag alone decides.
        first_seen = None
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if first_seen is not None:
        headers["Last-Modified"] = http_date(first_seen)
    not_modified = get_conditional_response(request, etag=etag, last_modified=first_seen)
    if not_modified is not None:  # 304, or 412 when an If-Match fails
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    return Response(data, headers=headers)
