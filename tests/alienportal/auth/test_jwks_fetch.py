"""The JWKS cache under a failing or slow provider (issue 14): back-off, and no global lock held across a fetch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from alienportal.auth.jwks import JwksUnavailable, jwks_signing_key
from tests.tokens import JwksServer, jwks_served, signing_key_new


@pytest.fixture
def provider() -> Iterator[JwksServer]:
    """A JWKS endpoint on loopback that can fail or be slow; counts its requests."""
    with jwks_served(keys=[signing_key_new("k1").public_jwk()]) as server:
        yield server


def test_a_failing_jwks_endpoint_is_not_fetched_again_on_every_request(provider: JwksServer) -> None:
    """Before: every token verification retried the fetch while the provider was down."""
    provider.status = 500
    for _ in range(20):
        with pytest.raises(JwksUnavailable):
            jwks_signing_key(url=provider.url, kid="k1", min_refetch_interval=0)
    assert provider.requests == 1

    time.sleep(1.1)  # the first back-off (1 s) is over: one more try, which succeeds
    provider.status = 200
    assert jwks_signing_key(url=provider.url, kid="k1", min_refetch_interval=0) is not None
    assert provider.requests == 2


def test_a_slow_jwks_fetch_holds_no_lock_over_other_key_sets(provider: JwksServer) -> None:
    """Before: one global lock was held for the whole fetch, so every verification waited on it."""
    cached = f"{provider.url}?other"
    assert jwks_signing_key(url=cached, kid="k1") is not None
    provider.delay = 2.0
    slow = threading.Thread(target=lambda: jwks_signing_key(url=provider.url, kid="k1", timeout=5))
    slow.start()
    time.sleep(0.3)  # the slow fetch is in flight

    started = time.monotonic()
    assert jwks_signing_key(url=cached, kid="k1") is not None
    waited = time.monotonic() - started
    slow.join()

    assert waited < 1.0  # far below the 2 s the slow fetch takes


def test_concurrent_callers_share_one_fetch(provider: JwksServer) -> None:
    provider.delay = 0.5
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(jwks_signing_key(url=provider.url, kid="k1"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(result is not None for result in results)
    assert provider.requests == 1
