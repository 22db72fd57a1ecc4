"""Retention deletes old score events and nothing else; provisioning can expire archive objects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alienportal.aws import aws_client
from alienportal.provisioning import ProvisioningResult, archive_lifecycle_ensure
from scoreboard.archive.retention import score_events_prune
from scoreboard.models import DeadLetter, ScoreEvent, SessionDiscards, Standing
from scoreboard.selectors import discards_after_closing, ranking_top
from scoreboard.stream.persist import batch_persist
from tests.factories import BASE_TIME, GameSessionFactory, record

pytestmark = pytest.mark.django_db


def _standings() -> list[tuple]:  # type: ignore[type-arg]
    return list(Standing.objects.order_by("nickname").values_list("nickname", "score", "lives", "shots", "rank_key"))


def test_old_events_go_and_standings_rankings_discards_and_dead_letters_stay(fence) -> None:
    day = 86400
    session = GameSessionFactory(
        session_id="X261027T100000",
        opening_time=BASE_TIME - timedelta(days=31),
        closing_time=BASE_TIME - timedelta(days=5),
    )
    records = [
        record(1, session.session_id, nickname="ann", score=10, seconds=-30 * day),
        record(2, session.session_id, nickname="bob", score=30, seconds=-29 * day),
        record(3, session.session_id, nickname="ann", score=50, seconds=-10 * day),
        record(4, session.session_id, nickname="cy", score=5, seconds=-1 * day),  # after closing: a discard
        record(5, session_id="X000000T000000"),  # unknown session: a dead letter
    ]
    batch_persist(fence=fence, records=records)
    before = (_standings(), [row.nickname for row in ranking_top(session=session, limit=10)])
    assert ScoreEvent.objects.count() == 3

    deleted = score_events_prune(before=BASE_TIME - timedelta(days=20))

    assert deleted == 2
    assert list(ScoreEvent.objects.values_list("nickname", "score")) == [("ann", 50)]
    assert (_standings(), [row.nickname for row in ranking_top(session=session, limit=10)]) == before
    assert discards_after_closing(session=session) == 1
    assert SessionDiscards.objects.count() == 1
    assert DeadLetter.objects.count() == 1


def test_the_retention_setting_decides_and_zero_keeps_everything(make_session, fence, settings) -> None:
    make_session()
    batch_persist(fence=fence, records=[record(1, seconds=0)])  # BASE_TIME: 2026-11-27 10:00
    settings.SCORE_EVENT_RETENTION_DAYS = 0
    assert score_events_prune() == 0
    settings.SCORE_EVENT_RETENTION_DAYS = 100_000
    assert score_events_prune() == 0
    assert ScoreEvent.objects.count() == 1


def test_provisioning_puts_an_expiration_rule_on_the_archive_bucket(provisioned, settings) -> None:
    s3 = aws_client("s3")
    bucket = "archive-lifecycle-test"
    s3.create_bucket(Bucket=bucket)
    settings.ARCHIVE_EXPIRATION_DAYS = 400
    result = ProvisioningResult(region="us-east-1", endpoint_url=None, stream_name="s")
    archive_lifecycle_ensure(s3, bucket, result)
    archive_lifecycle_ensure(s3, bucket, result)  # again: replaced, not stacked
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(rule["ID"], rule["Expiration"]["Days"], rule["Status"]) for rule in rules] == [
        ("alienportal-raw-archive-expiration", 400, "Enabled")
    ]
