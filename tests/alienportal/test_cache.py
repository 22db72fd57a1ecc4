"""The shared cache never unpickles what Redis returns (issue 14)."""

from __future__ import annotations

import os
import pickle

import pytest
import redis
from django.conf import settings
from django.core.cache import cache


class _Planted:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, ("import os; os.environ['ALIENPORTAL_PLANTED'] = 'ran'",))


def test_a_pickle_planted_in_redis_runs_no_code_when_the_cache_reads_it() -> None:
    """Before: Django's Redis cache unpickled it, running the planted code in the web process."""
    redis.Redis.from_url(settings.REDIS_URL).set(cache.make_key("planted"), pickle.dumps(_Planted()))

    with pytest.raises(ValueError, match=r"can.t decode|Expecting value"):
        cache.get("planted")

    assert "ALIENPORTAL_PLANTED" not in os.environ


def test_cache_values_round_trip_and_counters_stay_atomic() -> None:
    cache.set("history", [1.5, 2.25])
    cache.set("text", "123")
    cache.set("flag", True)
    assert (cache.get("history"), cache.get("text"), cache.get("flag")) == ([1.5, 2.25], "123", True)
    cache.add("counter", 0)
    assert [cache.incr("counter") for _ in range(3)] == [1, 2, 3]
    assert cache.get("counter") == 3
