"""Conditional GET for rankings and summaries: a strong ETag of the content, Last-Modified, and 304.

The ETag is a digest of what the response says (never of its `as_of` read time), so it changes
exactly when the content does. Last-Modified is the second this server first answered that ETag
for the URL (kept in the cache): it is never earlier than the last change, so If-Modified-Since
never wrongly answers 304; when the cache forgets, it only moves later.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

FIRST_SEEN_SECONDS = 24 * 3600


def _first_seen(*, url: str, etag: str) -> int:
    """Return the second `etag` was first answered for `url`, later than any earlier ETag's.

    Stored as a JSON object: the cache serializes JSON (alienportal.cache), so a tuple would
    come back as a list (a check for a tuple never matched: every answer said "modified now").

    HTTP dates have one-second resolution: content that changes within the second its previous
    ETag was first seen gets the next second, so an If-Modified-Since naming the old content's
    second can never match the new content.
    """
    key = "reports:etag:" + hashlib.sha256(url.encode()).hexdigest()
    stored = cache.get(key)
    previous = stored.get("at") if isinstance(stored, dict) else None
    if not isinstance(previous, int):
        previous = None
    elif stored.get("etag") == etag:
        return previous
    now = int(time.time())
    at = now if previous is None else max(now, previous + 1)
    cache.set(key, {"etag": etag, "at": at}, FIRST_SEEN_SECONDS)
    return at


def conditional_response(
    request: Request, data: dict[str, Any], *, stable: dict[str, Any] | None = None
) -> HttpResponse:
    """Answer `data` with ETag and Last-Modified, or 304 Not Modified when the client's copy is current.

    The ETag covers `stable` (default: `data` without its `as_of` read time).
    """
    content = {key: value for key, value in (stable if stable is not None else data).items() if key != "as_of"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str, separators=(",", ":")).encode())
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
