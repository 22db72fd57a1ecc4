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

# The only algorithm accepted, for keys and tokens alike: anything else (`none`, HS256 keyed with
# the public key, ...) is how forged tokens get through a verifier that trusts the token's header.
ALGORITHM = "RS256"


class JwksUnavailable(Exception):
    """The key set could not be fetched or parsed."""


# After a failed fetch, no new attempt for 1 s, then 2, 4, ... up to this (per key set).
FETCH_BACKOFF_MAX = 60.0


@dataclass
class _KeySet:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0  # last successful fetch
    attempted_at: float = 0.0  # last fetch, successful or not
    failures: int = 0  # failed fetches in a row
    retry_at: float = 0.0
    fetching: threading.Event | None = None  # set when the fetch in flight ends


# Guards the cache only: never held across a fetch, so one slow provider stalls nobody else.
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
            keys[str(jwk["kid"])] = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        except jwt.PyJWKError as exc:
            logger.warning("jwks.key_skipped url=%s kid=%s error=%s", url, jwk.get("kid"), exc)
    return keys


def jwks_signing_key(
    *, url: str, kid: str, max_age: float = 3600.0, min_refetch_interval: float = 30.0, timeout: float = 5.0
) -> Any | None:
    """Return the public key `kid` of the key set at `url`, or None if the set has no such key.

    Keys are cached for `max_age` seconds. An unknown kid refetches the set once (the provider
    may have rotated its keys), but at most once per `min_refetch_interval`, so a flood of tokens
    with made-up kids cannot turn into a flood of requests to the provider. One fetch per key set
    runs at a time, outside the lock (callers needing the same set wait for it, up to `timeout`);
    after a failure the set is not fetched again for a growing while (1 s doubling to
    FETCH_BACKOFF_MAX): meanwhile the keys of the last good fetch still serve, and a kid they lack
    raises JwksUnavailable at once.
    """
    while True:
        with _lock:
            key_set = _key_sets.setdefault(url, _KeySet())
            now = time.monotonic()
            stale = not key_set.fetched_at or now - key_set.fetched_at > max_age
            if not stale and kid in key_set.keys:
                return key_set.keys[kid]
            if not stale and now - key_set.attempted_at < min_refetch_interval:
                return None
            if now < key_set.retry_at:
                if kid in key_set.keys:
                    return key_set.keys[kid]
                raise JwksUnavailable(
                    f"JWKS at {url} failed {key_set.failures} times; next try in {key_set.retry_at - now:.0f} s"
                )
            in_flight = key_set.fetching
            if in_flight is None:
                done = key_set.fetching = threading.Event()
        if in_flight is not None:
            in_flight.wait(timeout)  # its outcome (keys, or a back-off) is in the cache then
            continue
        try:
            keys = _jwks_fetch(url, timeout=timeout)
        except Exception:
            with _lock:
                key_set.failures += 1
                key_set.attempted_at = time.monotonic()
                key_set.retry_at = key_set.attempted_at + min(FETCH_BACKOFF_MAX, 2.0 ** (key_set.failures - 1))
            logger.warning("jwks.fetch_failed url=%s failures=%s", url, key_set.failures)
            raise
        else:
            with _lock:
                key_set.keys = keys
                key_set.fetched_at = key_set.attempted_at = time.monotonic()
                key_set.failures = 0
                key_set.retry_at = 0.0
        finally:
            # The outcome is in the cache before anyone waiting on this fetch looks again.
            with _lock:
                key_set.fetching = None
            done.set()
        logger.info("jwks.fetched url=%s keys=%s", url, len(keys))
        return keys.get(kid)


def jwks_cache_clear() -> None:
    """Forget every cached key set (tests, and after a configuration change)."""
    with _lock:
        _key_sets.clear()
