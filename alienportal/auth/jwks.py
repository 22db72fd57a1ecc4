"""The identity provider's public signing keys (JWKS), fetched from a configured URL and cached."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

logger = logging.getLogger(__name__)


class JwksUnavailable(Exception):
    """The key set could not be fetched or parsed."""


@dataclass
class _KeySet:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0


_lock = threading.Lock()
_key_sets: dict[str, _KeySet] = {}


def _jwks_fetch(url: str, *, timeout: float) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise JwksUnavailable(f"cannot fetch JWKS from {url}: {exc}") from exc
    keys: dict[str, Any] = {}
    for jwk in document.get("keys", []):
        # Only RSA signing keys: the tokens we accept are RS256, and a key of another type under
        # the same kid must never be picked by mistake.
        if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or "kid" not in jwk:
            continue
        try:
            keys[str(jwk["kid"])] = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWKError as exc:
            logger.warning("jwks.key_skipped url=%s kid=%s error=%s", url, jwk.get("kid"), exc)
    return keys


def jwks_signing_key(
    *, url: str, kid: str, max_age: float = 3600.0, min_refetch_interval: float = 30.0, timeout: float = 5.0
) -> Any | None:
    """Return the public key `kid` of the key set at `url`, or None if the set has no such key.

    Keys are cached for `max_age` seconds. An unknown kid refetches the set once (the provider
    may have rotated its keys), but at most once per `min_refetch_interval`, so a flood of tokens
    with made-up kids cannot turn into a flood of requests to the provider.
    """
    with _lock:
        key_set = _key_sets.setdefault(url, _KeySet())
        now = time.monotonic()
        stale = now - key_set.fetched_at > max_age or not key_set.fetched_at
        if not stale and kid in key_set.keys:
            return key_set.keys[kid]
        if stale or now - key_set.fetched_at >= min_refetch_interval:
            key_set.keys = _jwks_fetch(url, timeout=timeout)
            key_set.fetched_at = now
            logger.info("jwks.fetched url=%s keys=%s", url, len(key_set.keys))
        return key_set.keys.get(kid)


def jwks_cache_clear() -> None:
    """Forget every cached key set (tests, and after a configuration change)."""
    with _lock:
        _key_sets.clear()
