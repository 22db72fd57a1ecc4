"""A stream deleted and created again under the same name is a new stream: new leases from its beginning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alienportal.aws import aws_client
from alienportal.dates import js_time
from scoreboard.models import DeadLetter, ScoreEvent, ShardLease, ShardMetrics, Standing
from scoreboard.selectors import pipeline_shards
from scoreboard.selectors.pipeline import pipeline_shard_figures
from scoreboard.selectors.players import player_trail
from scoreboard.services import dead_letters_replay
from scoreboard.stream.leases import LeaseLost, lease_acquire
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from scoreboard.stream.shards import ADOPTION_CLOCK_MARGIN, shards_sync, stream_incarnation
from sessions.models import GameSession
from tests.streams import drain_all, stream_recreate

pytestmark = [pytest.mark.shards(1), pytest.mark.django_db(transaction=True)]
SHARD = "shardId-000000000000"
FIRST_RUN = "X261127T140000"
SECOND_RUN = "X261127T150000"


def _put(name: str, session_id: str, scores: list[tuple[str, int]]) -> list[int]:
    """Put one snapshot per (nickname, score), one a millisecond apart; return their sequence numbers."""
    kinesis = aws_client("kinesis")
    start = datetime.now(UTC) - timedelta(seconds=5)
    sequences = []
    for index, (nickname, score) in enumerate(scores):
        moment = start + timedelta(milliseconds=index)
        body = {
            "SessionId": session_id,
            "Nickname": nickname,
            "Score": score,
            "Lives": 3,
            "Shots": 10,
            "Level": 1,
            "Timestamp": js_time(moment),
        }
        put = kinesis.put_record(StreamName=name, Data=json.dumps(body).encode(), PartitionKey=nickname)
        sequences.append(int(put["SequenceNumber"]))
    return sequences


def _put_raw(name: str, payloads: list[bytes]) -> list[int]:
    kinesis = aws_client("kinesis")
    return [
        int(kinesis.put_record(StreamName=name, Data=data, PartitionKey="raw")["SequenceNumber"]) for data in payloads
    ]


def _standings(session_id: str) -> dict[str, int]:
    return dict(Standing.objects.filter(session__session_id=session_id).values_list("nickname", "score"))


def test_a_recreated_stream_is_drained_from_its_beginning_and_the_old_leases_stay_history(stream, make_session) -> None:
    make_session(session_id=FIRST_RUN)
    first = _put(stream, FIRST_RUN, [(f"old{index % 4}", 10 * index) for index in range(30)])
    drain_all(stream)
    (old,) = ShardLease.objects.filter(stream_name=stream)
    assert int(old.checkpoint) == first[-1] == 30  # moto numbers each shard's records from 1
    old_created = stream_incarnation(kinesis=aws_client("kinesis"), stream_name=stream).created_at
    assert old.stream_created_at == old_created
    assert old.stream_arn.endswith(f":stream/{stream}")
    # A worker still holds the old lease when the stream is deleted and created again.
    ShardLease.objects.filter(pk=old.pk).update(owner="", expires_at=None)
    stale = lease_acquire(stream_name=stream, shard_id=SHARD, owner="stale-worker")
    assert stale is not None
    assert stale.lease_pk == old.pk

    GameSession.objects.filter(session_id=FIRST_RUN).update(closing_time=timezone.now())  # one open at a time
    stream_recreate(stream, shards=1)
    make_session(session_id=SECOND_RUN)
    second = _put(stream, SECOND_RUN, [("ann", 50), ("bob", 70), ("ann", 90), ("cid", 20)])
    assert second == [1, 2, 3, 4]  # far below the old checkpoint: read after it, nothing would come
    drain_all(stream)

    assert _standings(SECOND_RUN) == {"ann": 90, "bob": 70, "cid": 20}
    assert _standings(FIRST_RUN) == {"old0": 280, "old1": 290, "old2": 260, "old3": 270}
    new = ShardLease.objects.live().get(stream_name=stream)
    new_created = stream_incarnation(kinesis=aws_client("kinesis"), stream_name=stream).created_at
    assert new.pk != old.pk
    assert new.stream_created_at == new_created > old_created
    assert int(new.checkpoint) == 4
    # The old incarnation's lease is kept as history, with its checkpoint, and is never live again.
    history = ShardLease.objects.get(pk=old.pk)
    assert history.retired_at is not None
    assert int(history.checkpoint) == 30
    assert history.owner == ""
    assert ShardMetrics.objects.get(lease=history).records_processed == 30
    assert [
        (shard.shard_id, shard.checkpoint, shard.records_processed) for shard in pipeline_shards(stream_name=stream)
    ] == [(SHARD, 4, 4)]
    assert [figures.checkpoint for figures in pipeline_shard_figures(now=timezone.now(), stream_name=stream)] == [4]
    # The worker that held the old lease is fenced off: it can commit nothing more.
    with pytest.raises(LeaseLost):
        batch_persist(fence=stale, records=[StreamRecord(31, b"{}")])
    assert int(ShardLease.objects.get(pk=old.pk).checkpoint) == 30
    # A new acquisition takes the new incarnation's lease.
    fence = lease_acquire(stream_name=stream, shard_id=SHARD, owner="next-worker")
    assert fence is not None
    assert fence.lease_pk == new.pk


def test_a_recreated_streams_events_and_dead_letters_are_kept_beside_the_old_ones_and_still_count_once(
    stream, make_session
) -> None:
    make_session(session_id=FIRST_RUN)
    assert _put_raw(stream, [b"old junk 1", b"old junk 2"]) == [1, 2]
    _put(stream, FIRST_RUN, [(f"old{index % 4}", 10 * index) for index in range(10)])  # 3..12
    drain_all(stream)
    GameSession.objects.filter(session_id=FIRST_RUN).update(closing_time=timezone.now())  # one open at a time
    stream_recreate(stream, shards=1)
    make_session(session_id=SECOND_RUN)
    # The new incarnation numbers its records from 1 again: the same (shard, sequence number)
    # as the first run's dead letters and events.
    assert _put_raw(stream, [b"new junk 1", b"new junk 2"]) == [1, 2]
    assert _put(stream, SECOND_RUN, [("ann", 50), ("bob", 70), ("ann", 90), ("cid", 20)]) == [3, 4, 5, 6]
    drain_all(stream)

    assert _standings(SECOND_RUN) == {"ann": 90, "bob": 70, "cid": 20}
    assert ScoreEvent.objects.filter(session__session_id=SECOND_RUN).count() == 4
    assert ScoreEvent.objects.filter(session__session_id=FIRST_RUN).count() == 10
    second = GameSession.objects.get(session_id=SECOND_RUN)
    assert [marked.point.score for marked in player_trail(session=second, nickname="ann")] == [50, 90]
    assert sorted(bytes(data) for data in DeadLetter.objects.values_list("data", flat=True)) == [
        b"new junk 1",
        b"new junk 2",
        b"old junk 1",
        b"old junk 2",
    ]
    # Each row names the incarnation it was read from: the lease's, as the batch was fenced on it.
    old, new = ShardLease.objects.filter(stream_name=stream).order_by("stream_created_at")
    assert set(
        ScoreEvent.objects.filter(session__session_id=SECOND_RUN).values_list("stream_created_at", flat=True)
    ) == {new.stream_created_at}
    assert set(
        ScoreEvent.objects.filter(session__session_id=FIRST_RUN).values_list("stream_created_at", flat=True)
    ) == {old.stream_created_at}
    assert sorted(DeadLetter.objects.values_list("stream_created_at", "sequence_number")) == [
        (old.stream_created_at, 1),
        (old.stream_created_at, 2),
        (new.stream_created_at, 1),
        (new.stream_created_at, 2),
    ]

    # Within an incarnation a record read again (a worker that died before its checkpoint) still
    # counts once: the new incarnation's shard read again from its beginning adds nothing.
    ShardLease.objects.filter(pk=new.pk).update(checkpoint=None, checkpoint_at=None)
    drain_all(stream)
    assert int(ShardLease.objects.get(pk=new.pk).checkpoint) == 6
    assert ScoreEvent.objects.filter(session__session_id=SECOND_RUN).count() == 4
    assert ScoreEvent.objects.count() == 14
    assert DeadLetter.objects.count() == 4
    assert _standings(SECOND_RUN) == {"ann": 90, "bob": 70, "cid": 20}


def test_dead_letters_of_two_incarnations_with_the_same_numbers_replay_into_both_runs_events(
    stream, make_session
) -> None:
    # The session does not exist yet: every record becomes an unknown_session dead letter.
    assert _put(stream, FIRST_RUN, [("ann", 10), ("bob", 20)]) == [1, 2]
    drain_all(stream)
    stream_recreate(stream, shards=1)
    assert _put(stream, FIRST_RUN, [("ann", 30), ("cid", 40)]) == [1, 2]
    drain_all(stream)
    assert DeadLetter.objects.filter(reason="unknown_session").count() == 4
    make_session(session_id=FIRST_RUN)

    summary = dead_letters_replay(actor=None, session_ids=[FIRST_RUN])

    assert (summary.examined, summary.replayed) == (4, 4)
    assert sorted(ScoreEvent.objects.values_list("nickname", "score")) == [
        ("ann", 10),
        ("ann", 30),
        ("bob", 20),
        ("cid", 40),
    ]
    assert _standings(FIRST_RUN) == {"ann": 30, "bob": 20, "cid": 40}
    # Each event keeps its dead letter's incarnation, so a second replay finds them all there.
    letters = set(DeadLetter.objects.values_list("stream_created_at", "sequence_number"))
    assert set(ScoreEvent.objects.values_list("stream_created_at", "sequence_number")) == letters
    DeadLetter.objects.update(replayed_at=None)
    again = dead_letters_replay(actor=None, session_ids=[FIRST_RUN])
    assert again.replayed == 4
    assert ScoreEvent.objects.count() == 4


@pytest.mark.shards(2)
def test_leases_written_before_incarnations_are_adopted_only_when_provably_this_streams(stream: str) -> None:
    kinesis = aws_client("kinesis")
    created = stream_incarnation(kinesis=kinesis, stream_name=stream).created_at
    shard_ids = sorted(shard["ShardId"] for shard in kinesis.list_shards(StreamName=stream)["Shards"])
    # Checkpointed before this stream existed: an earlier incarnation's, whatever its number says.
    before = ShardLease.objects.create(
        stream_name=stream, shard_id=shard_ids[0], checkpoint=500, checkpoint_at=created - timedelta(hours=1)
    )
    # Checkpointed well after this stream was created: it can only be this stream's.
    after = ShardLease.objects.create(
        stream_name=stream,
        shard_id=shard_ids[1],
        checkpoint=7,
        checkpoint_at=created + ADOPTION_CLOCK_MARGIN + timedelta(seconds=1),
    )

    live = {lease.shard_id: lease for lease in shards_sync(kinesis=kinesis, stream_name=stream)}

    assert live[shard_ids[1]].pk == after.pk
    assert int(live[shard_ids[1]].checkpoint) == 7
    assert live[shard_ids[0]].pk != before.pk
    assert live[shard_ids[0]].checkpoint is None
    assert ShardLease.objects.get(pk=before.pk).retired_at is not None
    adopted = ShardLease.objects.get(pk=after.pk)
    assert adopted.stream_created_at == created
    assert adopted.retired_at is None
    assert adopted.stream_arn
    # A second sync changes nothing.
    assert {lease.pk for lease in shards_sync(kinesis=kinesis, stream_name=stream)} == {
        lease.pk for lease in live.values()
    }


def test_a_sync_that_saw_an_older_incarnation_than_another_sync_changes_nothing(stream) -> None:
    kinesis = aws_client("kinesis")
    (current,) = shards_sync(kinesis=kinesis, stream_name=stream)
    # As if a newer incarnation had been seen by another worker meanwhile.
    ShardLease.objects.filter(pk=current.pk).update(stream_created_at=current.stream_created_at + timedelta(hours=1))

    assert shards_sync(kinesis=kinesis, stream_name=stream) == []
    assert ShardLease.objects.filter(stream_name=stream).count() == 1
    assert ShardLease.objects.get(pk=current.pk).retired_at is None
