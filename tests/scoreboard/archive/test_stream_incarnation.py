"""The archive consumer's leases belong to one stream incarnation, as the drain's do."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from scoreboard.archive.selectors import archive_status
from scoreboard.models import LeaseConsumer, ShardLease
from sessions.models import GameSession
from tests.scoreboard.test_stream_incarnation import FIRST_RUN, SECOND_RUN, _put
from tests.streams import stream_recreate

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
