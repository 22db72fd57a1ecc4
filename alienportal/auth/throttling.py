"""API rate limiting per caller: token subject, signed-in user, else client address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class CallerRateThrottle(SimpleRateThrottle):
    """One budget per caller across the APIs; DRF answers 429 with Retry-After when it runs out."""

    scope = "caller"

    def get_rate(self) -> str | None:
        # Read at request time, not import time, so the environment and tests can change it.
        return str(settings.API_THROTTLE_RATE) if settings.API_THROTTLE_RATE else None

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        claims = getattr(request, "auth", None)
        if isinstance(claims, dict) and claims.get("sub"):
            ident = f"token:{claims.get('client_id') or claims.get('aud')}:{claims['sub']}"
        elif request.user is not None and request.user.is_authenticated and request.user.pk is not None:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
