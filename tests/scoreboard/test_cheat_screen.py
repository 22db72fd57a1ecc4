"""The drain's SQL screen for cheat suspects: it never misses a player the rules flag, and lets honest players by."""

from __future__ import annotations

import itertools
import json
import random
from datetime import timedelta

import pytest
from django.db import connection, transaction

from scoreboard.cheats import Limits, Status, statuses_check
from scoreboard.models import CheatFlag
from scoreboard.simulator import GameSimulator
from scoreboard.stream.consumer import BatchPipeline
from scoreboard.stream.flags import batch_screen, cheat_suspects_postgresql
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord, batch_route
from scoreboard.stream.standings_sql import STAGING_COLUMNS, STAGING_TABLE
from tests.factories import BASE_TIME, record

pytestmark = pytest.mark.django_db(transaction=True)

PLAYERS = tuple(f"p{number:02d}" for number in range(14))
ANOMALIES = ("duplicate", "late", "too_fast", "fire_rate", "impossible", "lives_up", "backwards", "outside")


@pytest.fixture(autouse=True)
def _rules_on(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CHEAT_RULES_ENABLED = True


def _trail(rng: random.Random, start_ms: int, count: int, anomaly: str | None) -> list[dict]:
    """A player's snapshots of honest games (the original game's rules), with one kind of anomaly, if any.

    One kind a player, at a few places (an "outside" player plays a whole game before the session
    opened): a screen that missed that kind would miss the player.
    """
    at = set(rng.sample(range(2, count), 2)) if anomaly else set()
    ms, score, lives, shots, level, hits = start_ms, 0, 3, 0, 1, 0
    if anomaly == "outside":
        ms -= 3 * 3600 * 1000
    trail: list[dict] = []
    for index in range(count):
        odd = anomaly if index in at else None
        if odd == "duplicate":
            trail.append(dict(trail[-1]))  # the same snapshot again (a producer's retry)
            continue
        ms += 5 if odd == "too_fast" else rng.choice((500, 650, 900, 2000))
        shots += 6 if odd == "fire_rate" else 1
        if odd == "backwards":
            if shots - 2 >= hits and (index % 2 or not hits):
                shots -= 2  # fewer rockets than before
            else:
                score, hits = score - 5, hits - 1  # a hit taken back
        elif rng.random() < 0.5:
            hits += 1
            score += 5
        if odd == "impossible":
            score += 3
        if odd == "lives_up":
            lives += 1
        elif rng.random() < 0.06:
            lives -= 1
        stamped = ms - (5000 if odd == "late" else 0)
        arrival = ms + (3 * 3600 * 1000 if anomaly == "outside" else 0)
        trail.append(
            {"ms": stamped, "score": score, "lives": lives, "shots": max(shots, 0), "level": level, "arrival": arrival}
        )
        if lives == 0:
            score, lives, shots, level, hits = 0, 3, 0, 1, 0  # a new game
    return trail


def _record(sequence: int, nickname: str, status: dict) -> StreamRecord:
    fields = {key: status[key] for key in ("score", "lives", "shots", "level")}
    return record(sequence, nickname=nickname, seconds=status["ms"] / 1000, **fields)


def _status(item: dict) -> Status:
    moment = BASE_TIME + timedelta(milliseconds=item["ms"])
    return Status(item["score"], item["lives"], item["shots"], item["level"], moment)


def _expected(batches: list[list[tuple[int, str, dict]]], session) -> dict:  # type: ignore[no-untyped-def]
    """The flags the Python rules alone raise over these batches: (nickname, rule) -> (hits, evidence)."""
    limits = Limits.from_settings()
    standing: dict[str, tuple] = {}  # nickname -> ((event_time, sequence), status): the current game
    flags: dict[tuple[str, str], list] = {}
    for batch in batches:
        for nickname in PLAYERS:
            mine = sorted(
                ((sequence, _status(item)) for sequence, name, item in batch if name == nickname),
                key=lambda pair: pair[1].event_time,
            )
            if not mine:
                continue
            before = standing.get(nickname)
            findings = statuses_check(
                [status for _, status in mine],
                previous=before[1] if before else None,
                opening=session.opening_time,
                closing=None,
                limits=limits,
            )
            for finding in findings:
                key = (nickname, finding.rule.value)
                if key in flags:
                    flags[key][0] += 1
                else:
                    flags[key] = [1, json.loads(json.dumps(finding.evidence))]
            newest = max(((status.event_time, sequence), status) for sequence, status in mine)
            if before is None or newest[0] > before[0]:
                standing[nickname] = newest
    return {key: tuple(value) for key, value in flags.items()}


@pytest.mark.parametrize("via", ["commit", "pipeline"])
@pytest.mark.parametrize("batch_size", [8, 40])
@pytest.mark.parametrize("seed", range(6))
def test_the_screen_never_misses_what_the_rules_flag(make_session, fence, seed: int, batch_size: int, via: str) -> None:  # type: ignore[no-untyped-def]
    """Screened while routing on the drain's helper thread (pipeline) or inside the commit, the same flags."""
    rng = random.Random(seed)
    session = make_session()
    kinds = [None, None, *ANOMALIES, *rng.choices(ANOMALIES, k=len(PLAYERS) - len(ANOMALIES) - 2)]
    rng.shuffle(kinds)
    trails = {
        nickname: _trail(rng, rng.randrange(0, 5000), 30, kind) for nickname, kind in zip(PLAYERS, kinds, strict=True)
    }
    # On the stream in arrival order: players interleave; a late snapshot is stamped before the ones
    # around it, a repeat arrives right after its original.
    items = sorted(
        ((nickname, status) for nickname, trail in trails.items() for status in trail),
        key=lambda item: item[1]["arrival"],
    )
    sequences = itertools.count(1)
    numbered = [(next(sequences), nickname, status) for nickname, status in items]
    batches = [numbered[start : start + batch_size] for start in range(0, len(numbered), batch_size)]

    records = [[_record(sequence, name, status) for sequence, name, status in batch] for batch in batches]
    if via == "commit":
        for batch_records in records:
            batch_persist(fence=fence, records=batch_records)
    else:
        pipeline = BatchPipeline(fence=fence, run=lambda action: action())
        try:
            for batch_records in records:
                pipeline.add(batch_records, None)
            pipeline.commit()
        finally:
            pipeline.close()

    found = {
        (nickname, rule): (hits, evidence)
        for nickname, rule, hits, evidence in CheatFlag.objects.values_list("nickname", "rule", "hits", "evidence")
    }
    expected = _expected(batches, session)
    assert len(expected) >= 3  # the trails do cheat
    assert found == expected


def _screen(records: list[StreamRecord]) -> set:
    """Stage a batch as the drain does and screen it against the standings: its suspects (nothing is written)."""
    routed = batch_route(shard_id="shardId-000000000000", records=records)
    screen = batch_screen(routed.accepted, limits=Limits.from_settings())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(STAGING_TABLE)
        with cursor.cursor.copy(
            "COPY scoreboard_batch_staging (" + ", ".join(name for name, _, _ in STAGING_COLUMNS) + ") FROM STDIN"
        ) as copy:
            for item in routed.accepted:
                copy.write_row(item.row)
        suspects = cheat_suspects_postgresql(cursor.cursor, screen=screen)
        transaction.set_rollback(True)
    return suspects


def test_honest_players_are_not_suspects_so_no_record_is_checked_in_python(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    ticks = itertools.count()
    simulator = GameSimulator(
        session_id=session.session_id,
        players=25,
        seed=3,
        clock=lambda: BASE_TIME + timedelta(milliseconds=40 * next(ticks)),
    )
    records = [StreamRecord(sequence, data) for sequence, (_, data) in enumerate(simulator.records(2000), start=1)]
    for start in range(0, len(records), 250):
        batch = records[start : start + 250]
        assert _screen(batch) == set()
        batch_persist(fence=fence, records=batch)  # standings move: the next batch pairs across
    assert simulator.summary.games_finished > 5
    assert not CheatFlag.objects.exists()


def test_a_cheater_is_a_suspect_and_nobody_else(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    batch_persist(
        fence=fence, records=[record(1, score=0, shots=0, seconds=0), record(2, nickname="bob", score=0, shots=0)]
    )
    suspects = _screen(
        [
            record(3, score=5, shots=1, seconds=1),
            record(4, nickname="bob", score=0, shots=40, seconds=1),  # 40 rockets in a second
        ]
    )
    assert suspects == {(session.pk, "bob")}


def test_a_late_first_snapshot_does_not_hide_the_pair_after_it(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    # The rules skip a snapshot older than the standing and pair the next one with the standing:
    # 2 lives, then 3 within the game. Paired with the late one instead (3 then 3), nothing is wrong.
    make_session()
    batch_persist(fence=fence, records=[record(1, score=0, shots=0, lives=3, seconds=0)])
    batch_persist(fence=fence, records=[record(2, score=0, shots=1, lives=2, seconds=10)])
    batch_persist(
        fence=fence,
        records=[
            record(3, score=0, shots=0, lives=3, seconds=5),  # late
            record(4, score=0, shots=2, lives=3, seconds=11),
        ],
    )
    assert list(CheatFlag.objects.values_list("rule", flat=True)) == ["lives_up"]


def test_a_snapshot_that_leaves_the_standing_as_it_was_is_still_paired(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    # Two snapshots of one player stamped at the same moment with different values, put on two
    # shards: shard 1's is drained first, so shard 0's is not newer (equal times order by shard)
    # and its batch leaves the standing as it was. The pair is still compared: too fast.
    from scoreboard.models import ShardLease, ShardMetrics
    from scoreboard.stream.leases import lease_acquire

    session = make_session()
    batch_persist(fence=fence, records=[record(1, score=0, shots=0, seconds=0)])
    lease = ShardLease.objects.create(stream_name="test-stream", shard_id="shardId-000000000001")
    ShardMetrics.objects.create(lease=lease)
    other = lease_acquire(stream_name="test-stream", shard_id="shardId-000000000001", owner="tester")
    assert other is not None
    batch_persist(fence=other, records=[record(1, score=5, shots=1, seconds=10)])
    batch_persist(fence=fence, records=[record(2, score=5, shots=2, seconds=10)])

    flags = list(CheatFlag.objects.filter(session=session).values_list("rule", "hits"))
    assert flags == [("too_fast", 1)]
    assert _screen([record(3, score=5, shots=3, seconds=10)]) == {(session.pk, "ann")}


@pytest.mark.parametrize(
    ("score", "shots", "level", "possible"),
    [
        (250, 60, 1, True),  # 50 hits: a whole level 1
        (255, 60, 1, False),  # 51 hits on level 1: it has 50 invaders
        (250, 49, 1, False),  # 50 hits with 49 rockets
        (251, 60, 1, False),  # not a multiple of a hit
        (300, 60, 2, True),  # level 1 cleared (50 hits + its 50 bonus), no hit yet on level 2
        (295, 60, 2, False),  # 49 hits can't have cleared level 1
        (550, 100, 2, True),  # 100 hits: all of level 2
        (555, 110, 2, False),  # 101 hits by the end of level 2
    ],
)
def test_the_screen_names_every_impossible_score_by_itself(make_session, score, shots, level, possible) -> None:  # type: ignore[no-untyped-def]
    make_session()
    routed = batch_route(
        shard_id="shardId-000000000000", records=[record(1, score=score, shots=shots, level=level, seconds=1)]
    )
    screen = batch_screen(routed.accepted, limits=Limits.from_settings())
    status = Status(score, 3, shots, level, routed.accepted[0].snapshot.timestamp)
    rules = statuses_check(
        [status], previous=None, opening=BASE_TIME - timedelta(hours=1), closing=None, limits=Limits.from_settings()
    )
    assert (screen.suspects == set()) is possible
    assert (rules == []) is possible
