"""Replay from the archive rebuilds what the live drain built, counts nothing twice, reads Firehose objects."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from alienportal.dates import js_time
from scoreboard.archive.replay import ReplayScope, archive_replay
from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, Standing
from tests.factories import GameSessionFactory
from tests.scoreboard.archive.results import OTHER_ID, SESSION_ID, assert_index_ranks, live_result, scoreboard_drop

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dropped_database_is_rebuilt_from_the_archive_exactly_and_a_second_replay_counts_nothing(played) -> None:
    live, s3 = played["live"], played["s3"]
    scoreboard_drop()

    first = archive_replay(scope=ReplayScope(), s3=s3.client, bucket=s3.bucket, prefix="raw/")

    assert live_result() == live
    assert first.events_new == len(live["events"])
    assert first.dead_letters_new == len(live["dead_letters"])
    assert first.after_closing == {SESSION_ID: 6, OTHER_ID: 6}
    assert_index_ranks(played["session"])

    second = archive_replay(scope=ReplayScope(), s3=s3.client, bucket=s3.bucket, prefix="raw/")

    assert live_result() == live
    assert (second.events_new, second.dead_letters_new, second.standings_changed) == (0, 0, 0)
    assert second.events_present == len(live["events"])
    assert second.dead_letters_present == len(live["dead_letters"])
    assert second.discard_counts_raised == {}


def test_a_session_replayed_beside_live_data_changes_nothing_and_a_dry_run_shows_what_is_missing(played) -> None:
    live, s3, session = played["live"], played["s3"], played["session"]
    beside = archive_replay(scope=ReplayScope(session_id=SESSION_ID), s3=s3.client, bucket=s3.bucket, prefix="raw/")
    assert live_result() == live
    assert beside.events_new == 0
    assert beside.events_present == sum(1 for event in live["events"] if event[2] == SESSION_ID)
    assert beside.out_of_scope > 0  # the other session's records, and those without a session

    # Corrupt the session: its leader's standing and events vanish, its discards are forgotten.
    leader = Standing.objects.filter(session=session).order_by("rank_key").first()
    assert leader is not None
    lost_events = ScoreEvent.objects.filter(session=session, nickname=leader.nickname).delete()[0]
    leader.delete()
    SessionDiscards.objects.filter(session=session).delete()
    corrupted = live_result()

    dry = archive_replay(
        scope=ReplayScope(session_id=SESSION_ID), dry_run=True, s3=s3.client, bucket=s3.bucket, prefix="raw/"
    )

    assert live_result() == corrupted  # nothing written
    assert dry.events_new == lost_events
    assert dry.standings_changed == 1
    assert dry.discard_counts_raised == {SESSION_ID: (0, 6)}
    assert any(
        change.nickname == leader.nickname and change.before is None and change.after == 1
        for change in dry.rank_changes
    )
    assert len(dry.rank_changes) == Standing.objects.filter(session=session).count() + 1  # all move down one
    report = dry.report()
    assert "dry run" in report
    assert f"{leader.nickname}: - -> 1" in report
    assert "records after closing" in report

    archive_replay(scope=ReplayScope(session_id=SESSION_ID), s3=s3.client, bucket=s3.bucket, prefix="raw/")
    assert live_result() == live


def _firehose_put(s3, *, key: str, records: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    # Firehose: the records' bytes back to back, no delimiter, gzip, no metadata of ours.
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=gzip.compress(b"".join(records)))


def _snapshot(nickname: str, score: int, lives: int, moment: datetime, session_id: str = SESSION_ID) -> bytes:
    stamp = js_time(moment)
    return json.dumps(
        {
            "SessionId": session_id,
            "Nickname": nickname,
            "Score": score,
            "Lives": lives,
            "Shots": 4,
            "Level": 1,
            "Timestamp": stamp,
        }
    ).encode()


def test_a_hand_made_object_in_the_original_firehose_shape_replays_correctly(own_s3, settings) -> None:
    opening = datetime(2026, 11, 27, 9, 58, 30, tzinfo=UTC)
    closing = opening + timedelta(minutes=10)
    session = GameSessionFactory(session_id=SESSION_ID, opening_time=opening, closing_time=closing)
    at = opening + timedelta(minutes=1)
    ann_1, ann_2 = _snapshot("ann", 100, 3, at), _snapshot("ann", 250, 2, at + timedelta(seconds=3))
    bob = _snapshot("bob", 180, 3, at + timedelta(seconds=1))
    late = _snapshot("cy", 999, 3, closing + timedelta(seconds=5))
    broken = b'{"SessionId": "' + SESSION_ID.encode() + b'", "Nickname": "dan", "Score": '
    unknown = _snapshot("eve", 5, 3, at, session_id="X000000T000000")
    # The hour before the session's own (clocks, buffering), and a duplicate delivery of ann's record.
    _firehose_put(own_s3, key="2026/11/27/09/alienportal-fh-1-2026-11-27-09-59-58-0d1e8a4f.gz", records=[ann_1, bob])
    _firehose_put(
        own_s3,
        key="2026/11/27/10/alienportal-fh-1-2026-11-27-10-04-00-77b2c1aa.gz",
        records=[ann_1, broken, ann_2, late, unknown, ann_1],
    )

    summary = archive_replay(
        scope=ReplayScope(session_id=SESSION_ID), s3=own_s3.client, bucket=own_s3.bucket, prefix=""
    )

    standings = {row.nickname: (row.score, row.lives) for row in Standing.objects.filter(session=session)}
    assert standings == {"ann": (250, 2), "bob": (180, 3)}
    assert ScoreEvent.objects.filter(session=session).count() == 3
    assert summary.firehose_objects == 2
    assert summary.duplicates_in_archive == 2
    assert summary.after_closing == {SESSION_ID: 1}
    assert SessionDiscards.objects.get(session=session).after_closing == 1
    assert summary.out_of_scope == 2  # the broken record (no session to tell) and the unknown session's

    everything = archive_replay(scope=ReplayScope(), s3=own_s3.client, bucket=own_s3.bucket, prefix="")
    assert everything.events_new == 0
    assert everything.events_present == 3
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == ["invalid_json", "unknown_session"]
    assert bytes(DeadLetter.objects.get(reason="invalid_json").data) == broken
    again = archive_replay(scope=ReplayScope(), s3=own_s3.client, bucket=own_s3.bucket, prefix="")
    assert (again.events_new, again.dead_letters_new, again.standings_changed) == (0, 0, 0)
    assert SessionDiscards.objects.get(session=session).after_closing == 1


def test_the_command_prints_progress_and_a_summary_and_refuses_bad_input(played, capsys, settings) -> None:
    s3 = played["s3"]
    settings.AWS_ENDPOINT_URL = s3.server.url  # S3 only: the command reads no stream
    call_command("archive_replay", "--session", SESSION_ID, "--dry-run", "--bucket", s3.bucket, "--prefix", "raw/")
    out, err = capsys.readouterr()
    assert "objects" in err
    assert "] " in err
    assert "Replay of session" in out
    assert "dry run" in out
    assert "rank changes: 0" in out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("archive_replay", "--since", "yesterday")


def test_a_time_range_replays_only_the_records_that_arrived_in_it(own_s3) -> None:
    opening = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    session = GameSessionFactory(session_id=SESSION_ID, opening_time=opening)
    early = _snapshot("ann", 10, 3, opening + timedelta(minutes=5))
    late = _snapshot("bob", 20, 3, opening + timedelta(hours=2, minutes=5))
    _firehose_put(own_s3, key="2026/11/27/06/fh-1-2026-11-27-06-05-01-aaaa.gz", records=[early])
    _firehose_put(own_s3, key="2026/11/27/08/fh-1-2026-11-27-08-05-01-bbbb.gz", records=[late])
    # In the hour before the range: listed (the hour margin), but it arrived before `since`.
    before = _snapshot("cy", 30, 3, opening + timedelta(hours=1, minutes=59))
    _firehose_put(own_s3, key="2026/11/27/07/fh-1-2026-11-27-07-59-00-cccc.gz", records=[before])

    summary = archive_replay(
        scope=ReplayScope(since=opening + timedelta(hours=2), until=opening + timedelta(hours=3)),
        s3=own_s3.client,
        bucket=own_s3.bucket,
        prefix="",
    )

    assert [row.nickname for row in Standing.objects.filter(session=session)] == ["bob"]
    assert (summary.objects, summary.events_new, summary.out_of_scope) == (2, 1, 1)  # 06:xx is not even listed
