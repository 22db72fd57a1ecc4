"""Reconciliation finds nothing on a healthy session and exactly what was corrupted otherwise."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from scoreboard.archive.reconcile import Difference, session_reconcile
from scoreboard.models import ScoreEvent, SessionDiscards, Standing
from scoreboard.ranking import rank_key, redis_client
from tests.scoreboard.archive.conftest import SESSION_ID

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
