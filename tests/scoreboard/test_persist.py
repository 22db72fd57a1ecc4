"""A batch becomes score events, standings, dead letters and discard counts, all or nothing, fenced."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from alienportal.redis_clients import redis_client
from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, ShardLease, ShardMetrics, Standing
from scoreboard.selectors import discards_after_closing, ranking_player_rank, ranking_top
from scoreboard.services import dead_letters_replay
from scoreboard.stream.leases import LeaseLost, lease_acquire
from scoreboard.stream.persist import BatchOutcome, batch_persist, batch_rows_write
from scoreboard.stream.publish import live_channel
from scoreboard.stream.routing import StreamRecord, batch_route
from sessions.models import Seat, SeatState
from tests.factories import BASE_TIME, record

pytestmark = pytest.mark.django_db(transaction=True)


def _standing(nickname: str) -> tuple[int, int, int]:
    row = Standing.objects.get(nickname=nickname)
    return row.score, row.lives, row.shots


def test_latest_snapshot_wins_whatever_the_arrival_order(make_session, fence) -> None:
    make_session()
    batch_persist(fence=fence, records=[record(1, score=300, seconds=30), record(2, score=100, seconds=10)])
    batch_persist(fence=fence, records=[record(3, score=200, seconds=20)])  # late and older: ignored

    assert _standing("ann") == (300, 3, 10)
    assert ScoreEvent.objects.count() == 3
    assert int(ShardLease.objects.get().checkpoint) == 3


def test_the_same_record_delivered_twice_counts_once(make_session, fence) -> None:
    make_session()
    batch_persist(fence=fence, records=[record(7, score=50)])
    batch_persist(fence=fence, records=[record(7, score=50)])

    assert ScoreEvent.objects.count() == 1
    assert _standing("ann") == (50, 3, 10)


def test_a_batch_after_the_checkpoint_it_replaces_writes_its_events_as_new(make_session, fence) -> None:
    make_session()
    first = batch_persist(fence=fence, records=[record(1, score=10)])  # no checkpoint yet: nothing proven
    second = batch_persist(fence=fence, records=[record(3, score=30, seconds=3), record(2, score=20, seconds=2)])
    again = batch_persist(fence=fence, records=[record(3, score=30, seconds=3)])  # re-delivered: not after it

    assert [first.events_proven_new, second.events_proven_new, again.events_proven_new] == [False, True, False]
    assert [first.events, second.events, again.events] == [1, 2, 0]
    assert ScoreEvent.objects.count() == 3
    assert _standing("ann")[0] == 30


def test_an_event_written_ahead_of_the_drain_is_not_written_twice(make_session, fence, caplog) -> None:
    make_session()
    batch_persist(fence=fence, records=[record(1, score=10)])
    # Another writer (an archive replay, through the same rows writer) wrote record 3 first.
    with transaction.atomic():
        batch_rows_write(
            routed=batch_route(shard_id=fence.shard_id, records=[record(3, score=30, seconds=3)]),
            outcome=BatchOutcome(),
            now=timezone.now(),
            stream_created_at=fence.incarnation,
        )

    outcome = batch_persist(fence=fence, records=[record(2, score=20, seconds=2), record(3, score=30, seconds=3)])

    # The proof failed on the unique constraint; the batch was written again, skipping record 3.
    assert "events_present_after_checkpoint" in caplog.text
    assert (outcome.events_proven_new, outcome.events) == (False, 1)
    assert sorted(ScoreEvent.objects.values_list("sequence_number", flat=True)) == [1, 2, 3]
    assert _standing("ann")[0] == 30
    assert int(ShardLease.objects.get().checkpoint) == 3
    assert ShardMetrics.objects.get().records_processed == 3


def test_equal_timestamps_resolve_on_stream_position_whatever_the_batching(make_session, fence) -> None:
    make_session()
    # Sequence 10 is after 9 as an integer (not as a string): it wins the tie.
    batch_persist(fence=fence, records=[record(10, score=1000), record(9, score=900)])
    assert _standing("ann")[0] == 1000
    batch_persist(fence=fence, records=[record(11, nickname="bob", score=5)])
    batch_persist(fence=fence, records=[record(12, nickname="bob", score=6)])
    assert _standing("bob")[0] == 6


def test_bad_records_become_dead_letters_and_late_ones_are_counted(make_session, fence) -> None:
    closing = BASE_TIME + timedelta(minutes=5)
    session = make_session(closing_time=closing)
    batch = [
        record(1, score=10),
        StreamRecord(2, b'{"SessionId": "X2611'),
        StreamRecord(3, b"\xff\xfe not utf-8"),
        record(4, score="lots"),
        record(5, session_id="NOSUCHSESSION"),
        record(6, score=999_999, seconds=301),  # after closing
        record(7, score=999_999, seconds=400),  # after closing
    ]
    outcome = batch_persist(fence=fence, records=batch)

    assert (outcome.events, outcome.dead_letters, outcome.discarded) == (1, 4, 2)
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert reasons == ["invalid_json", "not_utf8", "unknown_session", "wrong_type"]
    assert bytes(DeadLetter.objects.get(sequence_number=3).data) == b"\xff\xfe not utf-8"
    assert discards_after_closing(session=session) == 2
    assert _standing("ann")[0] == 10
    metrics = ShardMetrics.objects.get()
    assert (metrics.records_processed, metrics.dead_letters, metrics.discarded) == (7, 4, 2)
    assert metrics.bytes_processed == sum(len(item.data) for item in batch)


def test_a_worker_that_lost_its_lease_commits_nothing(make_session, fence) -> None:
    make_session()
    ShardLease.objects.filter(pk=fence.lease_pk).update(expires_at=BASE_TIME)  # expired
    usurper = lease_acquire(stream_name=fence.stream_name, shard_id=fence.shard_id, owner="usurper")
    assert usurper is not None
    assert usurper.counter == fence.counter + 1

    with pytest.raises(LeaseLost):
        batch_persist(fence=fence, records=[record(1, score=10), StreamRecord(2, b"junk")])

    assert ScoreEvent.objects.count() == DeadLetter.objects.count() == Standing.objects.count() == 0
    assert ShardLease.objects.get().checkpoint is None
    batch_persist(fence=usurper, records=[record(1, score=10)])
    assert ScoreEvent.objects.count() == 1


def test_a_held_lease_cannot_be_taken(fence) -> None:
    assert lease_acquire(stream_name=fence.stream_name, shard_id=fence.shard_id, owner="other") is None


def test_a_finished_game_frees_the_seat(make_session, fence) -> None:
    session = make_session(occupied_seats=2)
    Seat.objects.create(session=session, nickname="ann", allocated_at=BASE_TIME)
    Seat.objects.create(session=session, nickname="bob", allocated_at=BASE_TIME)
    batch_persist(fence=fence, records=[record(1, lives=1, seconds=1), record(2, lives=0, seconds=2)])
    # An old Lives == 0 snapshot arriving after a newer standing does not end bob's game.
    batch_persist(fence=fence, records=[record(3, nickname="bob", lives=2, seconds=9)])
    batch_persist(fence=fence, records=[record(4, nickname="bob", lives=0, seconds=5)])

    states = dict(Seat.objects.values_list("nickname", "state"))
    assert states == {"ann": SeatState.FINISHED, "bob": SeatState.PLAYING}
    session.refresh_from_db()
    assert session.occupied_seats == 1


def test_rankings_follow_the_one_order_in_postgresql_and_redis(make_session, fence) -> None:
    session = make_session()
    players = [("dan", 500, 1, 9), ("amy", 500, 2, 30), ("cat", 500, 2, 10), ("bea", 500, 2, 10), ("eve", 900, 0, 99)]
    batch_persist(
        fence=fence,
        records=[
            record(seq, nickname=name, score=score, lives=lives, shots=shots)
            for seq, (name, score, lives, shots) in enumerate(players, start=1)
        ],
    )
    expected = ["eve", "bea", "cat", "amy", "dan"]
    assert [row.nickname for row in ranking_top(session=session, limit=10)] == expected
    assert [ranking_player_rank(session=session, nickname=name) for name in expected] == [1, 2, 3, 4, 5]
    # The rank came from Redis: the index holds every player.
    assert redis_client().zcard(f"alienportal:ranking:{session.pk}:keys") == 5


def test_changed_standings_are_published_after_commit(make_session, fence) -> None:
    make_session()
    pubsub = redis_client().pubsub()
    pubsub.subscribe(live_channel("X261127T100000"))
    pubsub.get_message(timeout=1)  # subscription confirmation
    batch_persist(fence=fence, records=[record(1, nickname="ann"), record(2, nickname="bob")])

    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    assert message is not None
    assert json.loads(message["data"]) == {"session_id": "X261127T100000", "nicknames": ["ann", "bob"]}


def test_dead_letters_of_a_session_created_later_are_replayed_once(make_session, fence) -> None:
    batch_persist(fence=fence, records=[record(1, session_id="X261127T120000", score=70), record(2, score=5)])
    assert DeadLetter.objects.count() == 2  # both sessions unknown

    session = make_session(session_id="X261127T120000")
    summary = dead_letters_replay(actor=None, session_ids=["X261127T120000"])
    again = dead_letters_replay(actor=None, session_ids=["X261127T120000"])

    assert (summary.examined, summary.replayed, again.examined) == (1, 1, 0)
    assert [(row.nickname, row.score) for row in ranking_top(session=session, limit=5)] == [("ann", 70)]
    assert ScoreEvent.objects.count() == 1
    assert DeadLetter.objects.filter(replayed_at__isnull=True).count() == 1


def test_sequence_numbers_beyond_64_bits_are_compared_as_integers(make_session, fence) -> None:
    make_session()
    big = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898
    batch_persist(fence=fence, records=[record(big, score=1), record(big + 1, score=2)])
    assert int(ShardLease.objects.get().checkpoint) == big + 1
    assert _standing("ann")[0] == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(sequence_number) FROM scoreboard_scoreevent")
        assert int(cursor.fetchone()[0]) == big + 1


def test_discard_counts_add_up_across_batches(make_session, fence) -> None:
    session = make_session(closing_time=BASE_TIME)
    batch_persist(fence=fence, records=[record(1, seconds=5)])
    batch_persist(fence=fence, records=[record(2, seconds=6), record(3, seconds=7)])
    assert SessionDiscards.objects.get(session=session).after_closing == 3
    assert Standing.objects.count() == 0
