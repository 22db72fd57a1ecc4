"""Reconciliation finds nothing on a healthy session and exactly what was corrupted otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from scoreboard.archive.models import ReconciliationRun
from scoreboard.archive.reconcile import Difference, session_reconcile
from scoreboard.archive.services import reconciliation_run
from scoreboard.archive.tasks import archive_reconcile_due_task
from scoreboard.models import LeaseConsumer, ScoreEvent, SessionDiscards, ShardLease, Standing
from scoreboard.ranking import rank_key, redis_client
from scoreboard.selectors.health import HealthState, pipeline_archive_state
from sessions.models import GameSession
from tests.factories import ProviderUserFactory
from tests.portal import portal_client
from tests.scoreboard.archive.results import SESSION_ID

pytestmark = pytest.mark.django_db(transaction=True)


def _reconcile(played):  # type: ignore[no-untyped-def]
    s3 = played["s3"]
    return session_reconcile(session=played["session"], s3=s3.client, bucket=s3.bucket, prefix="raw/")


def test_a_healthy_session_has_no_difference(played) -> None:
    result = _reconcile(played)
    assert result.differences == []
    assert result.players == 25
    assert result.archive_records == 700 - 7 - 4  # its records but the malformed and unknown-session ones
    assert "agree" in result.summary_line()


def test_each_corruption_is_reported_exactly(played) -> None:
    session = played["session"]
    standings = list(Standing.objects.filter(session=session).order_by("rank_key"))
    leader, second, third = standings[0], standings[1], standings[2]
    # PostgreSQL: a standing's score changed behind the drain's back (Redis follows, as a sync would).
    Standing.objects.filter(pk=second.pk).update(
        score=second.score + 7,
        rank_key=rank_key(score=second.score + 7, lives=second.lives, shots=second.shots, nickname=second.nickname),
    )
    # Redis: the leader's entry vanished from the index.
    players_key = f"alienportal:ranking:{session.pk}:players"
    redis_client().zrem(f"alienportal:ranking:{session.pk}:keys", leader.rank_key)
    redis_client().hdel(players_key, leader.nickname)
    # PostgreSQL: one of the third player's events and the discard count lost.
    ScoreEvent.objects.filter(
        pk=ScoreEvent.objects.filter(session=session, nickname=third.nickname).first().pk
    ).delete()
    SessionDiscards.objects.filter(session=session).update(after_closing=2)

    result = _reconcile(played)

    values = (second.score, second.lives, second.shots, second.level)
    changed = (second.score + 7, second.lives, second.shots, second.level)
    events = ScoreEvent.objects.filter(session=session).count()
    assert sorted(result.differences, key=lambda d: (d.kind, d.subject, str(d.redis))) == sorted(
        [
            Difference("standing", second.nickname, changed, values),
            Difference(
                "index",
                second.nickname,
                f"score={second.score + 7} lives={second.lives} shots={second.shots} nickname={second.nickname}",
                None,
                redis=f"score={second.score} lives={second.lives} shots={second.shots} nickname={second.nickname}",
            ),
            Difference(
                "index",
                "(sorted set)",
                None,
                None,
                redis=f"score={second.score} lives={second.lives} shots={second.shots} nickname={second.nickname}",
            ),
            Difference(
                "index",
                leader.nickname,
                f"score={leader.score} lives={leader.lives} shots={leader.shots} nickname={leader.nickname}",
                None,
                redis=None,
            ),
            Difference("events", "", events, events + 1),
            Difference("discards", "", 2, 6),
        ],
        key=lambda d: (d.kind, d.subject, str(d.redis)),
    )


def test_the_command_exits_1_and_prints_every_difference(played, capsys, settings) -> None:
    s3 = played["s3"]
    settings.AWS_ENDPOINT_URL = s3.server.url  # S3 only: reconciliation reads no stream
    args = ["archive_reconcile", "--session", SESSION_ID, "--bucket", s3.bucket, "--prefix", "raw/"]
    call_command(*args)
    assert "agree" in capsys.readouterr().out
    SessionDiscards.objects.filter(session=played["session"]).update(after_closing=0)
    with pytest.raises(SystemExit) as exited:
        call_command(*args)
    assert exited.value.code == 1
    assert "discards: postgresql=0 archive=6" in capsys.readouterr().out


def test_a_reconciliation_is_kept_and_shown_on_the_health_page_and_in_the_api(played, settings) -> None:  # type: ignore[no-untyped-def]
    s3 = played["s3"]
    session = played["session"]
    settings.AWS_ENDPOINT_URL = s3.server.url
    settings.ARCHIVE_BUCKET, settings.ARCHIVE_PREFIX = s3.bucket, "raw/"
    settings.KINESIS_STREAM_NAME = ShardLease.objects.filter(consumer=LeaseConsumer.ARCHIVE).first().stream_name
    agreed = reconciliation_run(session=session)
    SessionDiscards.objects.filter(session=session).update(after_closing=0)
    differed = reconciliation_run(session=session)

    assert agreed.ok
    assert not differed.ok
    latest, earlier = ReconciliationRun.objects.all()[:2]
    assert (latest.ok, latest.differences, latest.first_difference) == (False, 1, "discards: postgresql=0 archive=6")
    assert (earlier.ok, earlier.players, earlier.archive_records) == (True, 25, 700 - 7 - 4)
    # The latest check of the session found a difference: the archive's state is red, and so the page's.
    archive = pipeline_archive_state()
    assert archive.reconciliation == HealthState.RED == archive.state
    assert [run.pk for run in archive.reconciliations] == [latest.pk, earlier.pk]

    data = (
        portal_client(ProviderUserFactory(username="manager", roles=["Managers"]))
        .get("/api/v1/pipeline/archive/")
        .json()
    )
    assert data["health"] == "red"
    assert data["bucket"] == s3.bucket
    assert data["reconciliations"][0] == {
        "session_id": SESSION_ID,
        "checked_at": data["reconciliations"][0]["checked_at"],
        "ok": False,
        "players": 25,
        "archive_records": 700 - 7 - 4,
        "archive_objects": latest.archive_objects,
        "differences": 1,
        "first_difference": "discards: postgresql=0 archive=6",
    }
    assert {shard["shard_id"] for shard in data["shards"]} == set(
        ShardLease.objects.filter(consumer=LeaseConsumer.ARCHIVE).values_list("shard_id", flat=True)
    )
    assert all(shard["last_upload_at"] and shard["records_archived"] > 0 for shard in data["shards"])


def test_beat_reconciles_each_closed_session_once_its_records_must_be_in_s3(played, settings) -> None:  # type: ignore[no-untyped-def]
    s3 = played["s3"]
    settings.AWS_ENDPOINT_URL = s3.server.url
    settings.ARCHIVE_BUCKET, settings.ARCHIVE_PREFIX = s3.bucket, "raw/"
    settings.ARCHIVE_RECONCILE_AFTER_SECONDS = 420
    session = played["session"]
    now = timezone.now()
    GameSession.objects.filter(pk=session.pk).update(closing_time=now - timedelta(seconds=60))
    assert archive_reconcile_due_task() == []  # closed a minute ago: records may still sit in a buffer

    GameSession.objects.filter(pk=session.pk).update(closing_time=now - timedelta(seconds=600))
    assert archive_reconcile_due_task() == [SESSION_ID]
    assert archive_reconcile_due_task() == []  # checked once settled: not again
    # Moving the closing time back turned the archived records into after-closing ones: a mismatch
    # with the standings the drain kept, which the check found (what it finds is tested above).
    assert ReconciliationRun.objects.get().session == session
