"""The archive consumer's leases belong to one stream incarnation, as the drain's do."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest
from django.utils import timezone

from scoreboard.archive.objects import records_decode, records_encode
from scoreboard.archive.replay import ReplayScope, archive_replay
from scoreboard.archive.selectors import archive_status
from scoreboard.models import DeadLetter, LeaseConsumer, ScoreEvent, ShardLease
from sessions.models import GameSession
from tests.scoreboard.archive.results import live_result, scoreboard_drop
from tests.scoreboard.test_stream_incarnation import FIRST_RUN, SECOND_RUN, _put, _put_raw
from tests.streams import drain_all, stream_recreate

pytestmark = [pytest.mark.shards(1), pytest.mark.django_db(transaction=True)]


def test_the_archive_reads_a_recreated_stream_from_its_beginning(
    stream, make_session, archive_all, own_s3, settings
) -> None:
    settings.ARCHIVE_BUFFER_SECONDS = 0  # every read becomes an object
    make_session(session_id=FIRST_RUN)
    _put(stream, FIRST_RUN, [(f"p{index}", index) for index in range(12)])
    archive_all(stream)
    GameSession.objects.filter(session_id=FIRST_RUN).update(closing_time=timezone.now())  # one open at a time
    stream_recreate(stream, shards=1)
    make_session(session_id=SECOND_RUN)
    _put(stream, SECOND_RUN, [("ann", 5), ("bob", 6), ("cid", 7)])
    archive_all(stream)

    leases = ShardLease.objects.filter(stream_name=stream, consumer=LeaseConsumer.ARCHIVE)
    # (live?, checkpoint): the old incarnation retired at 12, the new one read from its beginning
    assert sorted((lease.retired_at is None, int(lease.checkpoint)) for lease in leases) == [(False, 12), (True, 3)]
    status = archive_status(stream_name=stream)
    assert [(shard.checkpoint, shard.records_archived) for shard in status.shards] == [(3, 3)]
    archived = [json.loads(record.data)["SessionId"] for record in own_s3.archived_records()]
    assert archived.count(SECOND_RUN) == 3
    assert archived.count(FIRST_RUN) == 12


def _identities() -> dict[str, list[tuple]]:
    return {
        "events": sorted(ScoreEvent.objects.values_list("stream_created_at", "shard_id", "sequence_number", "score")),
        "dead_letters": sorted(DeadLetter.objects.values_list("stream_created_at", "shard_id", "sequence_number")),
    }


def _without_incarnations(own_s3) -> None:  # type: ignore[no-untyped-def]
    """Rewrite every archive object as one written before records named their incarnation."""
    for key, item in own_s3.objects().items():
        records = [dataclasses.replace(record, stream_created_at=None) for record in records_decode(item["body"])]
        body = records_encode(records)
        assert b"StreamCreationTimestamp" not in gzip.decompress(body)
        own_s3.client.put_object(Bucket=own_s3.bucket, Key=key, Body=body, Metadata=item["metadata"])


def test_a_replay_of_two_incarnations_rebuilds_both_exactly_once(
    stream, make_session, archive_all, own_s3, settings
) -> None:
    settings.ARCHIVE_BUFFER_SECONDS = 0
    make_session(session_id=FIRST_RUN)
    _put_raw(stream, [b"old junk"])
    _put(stream, FIRST_RUN, [(f"p{index}", index) for index in range(12)])
    drain_all(stream)
    archive_all(stream)
    GameSession.objects.filter(session_id=FIRST_RUN).update(closing_time=timezone.now())  # one open at a time
    stream_recreate(stream, shards=1)
    make_session(session_id=SECOND_RUN)
    _put_raw(stream, [b"new junk"])
    _put(stream, SECOND_RUN, [("ann", 5), ("bob", 6), ("cid", 7)])  # sequence numbers 2..4 again
    drain_all(stream)
    archive_all(stream)
    live, identities = live_result(), _identities()
    assert len(identities["events"]) == 15
    assert len({created for created, *_ in identities["events"]}) == 2
    assert len(identities["dead_letters"]) == 2
    # The archive says which incarnation each record came from.
    created = {record.stream_created_at for record in own_s3.archived_records()}
    assert created == {created for created, *_ in identities["events"]}

    for rewrite in (False, True):
        if rewrite:
            # Objects written before records named their incarnation: replay finds it from the
            # leases and the record's arrival time, and gets the same rows.
            _without_incarnations(own_s3)
        scoreboard_drop()
        first = archive_replay(scope=ReplayScope(), s3=own_s3.client, bucket=own_s3.bucket, prefix="raw/")
        assert (first.events_new, first.dead_letters_new, first.duplicates_in_archive) == (15, 2, 0)
        assert live_result() == live
        assert _identities() == identities

        second = archive_replay(scope=ReplayScope(), s3=own_s3.client, bucket=own_s3.bucket, prefix="raw/")
        assert (second.events_new, second.dead_letters_new, second.standings_changed) == (0, 0, 0)
        assert (second.events_present, second.dead_letters_present) == (15, 2)
        assert _identities() == identities
