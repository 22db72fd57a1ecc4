"""Conditional GET for rankings and summaries: a strong ETag of the content, Last-Modified, and 304.

The ETag is a digest of what the response says (never of its `as_of` read time), so it changes
exactly when the content does. Last-Modified is when this server first answered that ETag for
the URL (kept in the cache): it is never earlier than the last change, so If-Modified-Since
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
    key = "reports:etag:" + hashlib.sha256(url.encode()).hexdigest()
    stored = cache.get(key)
    if isinstance(stored, tuple) and stored[0] == etag:
        return int(stored[1])
    now = int(time.time())
    cache.set(key, (etag, now), FIRST_SEEN_SECONDS)
    return now


def conditional_response(
    request: Request, data: dict[str, Any], *, stable: dict[str, Any] | None = None
) -> HttpResponse:
    """Answer `data` with ETag and Last-Modified, or 304 Not Modified when the client's copy is current.

    The ETag covers `stable` (default: `data` without its `as_of` read time).
    """
    content = {key: value for key, value in (stable if stable is not None else data).items() if key != "as_of"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str, separators=(",", ":")).encode())
    etag = f'"{digest.hexdigest()[:32]}"'
    last_modified = _first_seen(url=request.get_full_path(), etag=etag)
    headers = {"ETag": etag, "Last-Modified": http_date(last_modified), "Cache-Control": "private, no-cache"}
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:  # 304, or 412 when an If-Match fails
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    return Response(data, headers=headers)
