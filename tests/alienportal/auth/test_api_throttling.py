"""The API rate limit holds under concurrent requests, answers 429 with Retry-After, and is per caller."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.test import Client

from alienportal.api.throttling import AtomicCallerRateThrottle
from alienportal.redis_clients import redis_client
from tests.tokens import SigningKey, claims_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_budgets() -> None:
    redis_client().flushdb()


def _caller(sub: str) -> SimpleNamespace:
    """What the throttle reads of a request: the verified claims, the user, the address."""
    return SimpleNamespace(auth={"sub": sub, "client_id": "reports"}, user=None, META={"REMOTE_ADDR": "127.0.0.1"})


def test_racing_requests_never_get_more_than_the_rate(settings) -> None:
    settings.API_THROTTLE_RATE = "100/min"
    start = threading.Barrier(32)
    allowed: list[bool] = []
    lock = threading.Lock()

    def burst() -> None:
        start.wait()
        for _ in range(10):
            verdict = AtomicCallerRateThrottle().allow_request(_caller("racer"), None)
            with lock:
                allowed.append(verdict)

    threads = [threading.Thread(target=burst) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 320
    assert allowed.count(True) == 100
    # Another caller has a budget of its own.
    assert AtomicCallerRateThrottle().allow_request(_caller("someone-else"), None)


def test_a_spent_budget_is_429_with_retry_after_in_the_one_error_body(settings, own_pool, test_key: SigningKey) -> None:  # type: ignore[no-untyped-def]
    settings.API_THROTTLE_RATE = "3/min"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {test_key.sign(claims_for())}")
    assert [client.get("/api/v1/dead-letters/counts/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/dead-letters/counts/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["errorCode"] == "Throttled"
    assert refused.json()["errorMessage"].startswith("Request was throttled.")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {test_key.sign(claims_for(sub='another-client'))}")
    assert other.get("/api/v1/dead-letters/counts/").status_code == 200


def test_an_unreachable_redis_does_not_take_the_api_down(settings) -> None:
    settings.API_THROTTLE_RATE = "1/min"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert all(AtomicCallerRateThrottle().allow_request(_caller("x"), None) for _ in range(3))
