"""Run the best-game property on the demo's SQLite: `python -m tests.scoreboard.best_game_sqlite SEEDS`.

A separate process, because the suite's database is PostgreSQL: DATABASE_URL names a SQLite
file here. Prints one JSON line: the seeds that agreed, and the first that did not.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.test")


def main(seeds: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scoreboard.models import ShardLease, Standing
    from sessions.models import GameSession, GameType
    from tests.factories import BASE_TIME
    from tests.scoreboard import test_best_game as rule

    for seed in range(seeds):
        Standing.objects.all().delete()
        ShardLease.objects.all().delete()
        GameSession.objects.all().delete()
        # A raw row on purpose: this process checks the drain's best-game rule on SQLite alone, without
        # the audit and the SSM publication that session_open brings (GameSessionFactory elsewhere).
        GameSession.objects.create(
            session_id=rule.SESSION_ID, game_type=GameType.MULTIPLE_TRIALS, opening_time=BASE_TIME - timedelta(hours=1)
        )
        rng = random.Random(seed)
        sent = rule._games(rng, [f"p{index}" for index in range(rng.randint(1, 8))])
        rule._deliver(rng, sent, rule._fences())
        stored, expected = rule._stored(), rule._expected(sent)
        if stored != expected:
            return {"agreed": seed, "failed": seed, "stored": repr(stored), "expected": repr(expected)}
    return {"agreed": seeds, "failed": None}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
