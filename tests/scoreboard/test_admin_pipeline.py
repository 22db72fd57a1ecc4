"""The pipeline's admin pages: dead letters shown safely and replayed by managers; leases and heartbeats read-only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from alienportal.access import Role
from alienportal.models import AuditEntry
from scoreboard.archive.models import ReconciliationRun
from scoreboard.models import DeadLetter, ShardLease, Standing, WorkerHeartbeat
from scoreboard.selectors.health import pipeline_health
from scoreboard.stream.leases import heartbeat_beat
from scoreboard.stream.persist import batch_persist
from tests.factories import BASE_TIME, GameSessionFactory, UserFactory, record
from tests.portal import portal_client

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = b'<script>alert("x")</script>\x00\xff\x1b[31m'


@pytest.fixture
def support() -> User:
    return UserFactory(username="sam-support", roles=[Role.SUPPORT])


@pytest.fixture
def manager() -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


def test_a_dead_letter_payload_is_shown_escaped_as_text_and_hex(manager: User, support: User) -> None:
    letter = DeadLetter.objects.create(
        shard_id="shardId-000000000000", sequence_number=7, data=HOSTILE, reason="malformed_json"
    )
    for user in (manager, support):
        page = portal_client(user).get(f"/admin/scoreboard/deadletter/{letter.pk}/change/").content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\x00\\xff\\x1b[31m" in page
        assert "00000000  3c 73 63 72 69 70 74 3e" in page  # "<script>" in hex


def test_dead_letters_filter_by_reason_and_session(manager: User) -> None:
    DeadLetter.objects.create(shard_id="s", sequence_number=1, data=b"{", reason="malformed_json")
    DeadLetter.objects.create(shard_id="s", sequence_number=2, data=b"{}", reason="unknown_session", session_id="XGONE")
    client = portal_client(manager)
    by_reason = client.get("/admin/scoreboard/deadletter/?reason=unknown_session").content.decode()
    assert "XGONE" in by_reason
    assert "malformed_json</td>" not in by_reason
    by_session = client.get("/admin/scoreboard/deadletter/?session_id=XGONE").content.decode()
    assert "1 dead letter" in by_session


def _unknown_session_letter(fence) -> DeadLetter:  # type: ignore[no-untyped-def]
    batch_persist(fence=fence, records=[record(1, session_id="XLATE", nickname="ann", score=42)])
    return DeadLetter.objects.get(session_id="XLATE")


def test_a_manager_replays_selected_dead_letters_once_their_session_exists(manager: User, fence) -> None:  # type: ignore[no-untyped-def]
    letter = _unknown_session_letter(fence)
    GameSessionFactory(session_id="XLATE", opening_time=BASE_TIME)

    response = portal_client(manager).post(
        "/admin/scoreboard/deadletter/", {"action": "replay", "_selected_action": [letter.pk]}, follow=True
    )

    assert "Replayed 1 of 1 dead letters." in response.content.decode()
    assert Standing.objects.get(session__session_id="XLATE", nickname="ann").score == 42
    letter.refresh_from_db()
    assert letter.replayed_at is not None
    entry = AuditEntry.objects.get(action="dead_letters.replay")
    assert (entry.actor, entry.target_repr) == (manager, "1 dead letters: 1 replayed, 0 still dead")
    assert entry.after == {
        "limit": 1,
        "picked": 1,
        "examined": 1,
        "replayed": 1,
        "still_dead": 0,
        "still_dead_reasons": {},
        "dead_letters": [letter.pk],
    }


def test_support_sees_no_replay_action_and_cannot_post_one(support: User, fence) -> None:  # type: ignore[no-untyped-def]
    letter = _unknown_session_letter(fence)
    GameSessionFactory(session_id="XLATE", opening_time=BASE_TIME)
    client = portal_client(support)
    assert 'value="replay"' not in client.get("/admin/scoreboard/deadletter/").content.decode()

    client.post("/admin/scoreboard/deadletter/", {"action": "replay", "_selected_action": [letter.pk]})

    letter.refresh_from_db()
    assert letter.replayed_at is None
    assert not Standing.objects.filter(nickname="ann").exists()
    assert not AuditEntry.objects.filter(action="dead_letters.replay").exists()


def test_leases_and_heartbeats_are_read_only_pages(manager: User, support: User) -> None:
    lease = ShardLease.objects.create(stream_name="s", shard_id="shardId-000000000003", owner="host:1:abc")
    WorkerHeartbeat.objects.create(
        worker="host:1:abc", shard_id="shardId-000000000003", beat_at=timezone.now(), started_at=timezone.now()
    )
    for user in (manager, support):
        client = portal_client(user)
        assert "host:1:abc" in client.get("/admin/scoreboard/shardlease/").content.decode()
        assert "host:1:abc" in client.get("/admin/scoreboard/workerheartbeat/").content.decode()
        change = client.post(f"/admin/scoreboard/shardlease/{lease.pk}/change/", {"owner": "me"})
        assert change.status_code == 403
    lease.refresh_from_db()
    assert lease.owner == "host:1:abc"
    assert json.dumps(lease.parent_shard_ids) == "[]"


def test_heartbeats_of_finished_drain_calls_are_pruned_by_the_beat_task_after_the_keep_window(
    manager: User, settings
) -> None:  # type: ignore[no-untyped-def]
    from alienportal.celery import app
    from scoreboard.tasks import worker_heartbeats_prune_task

    settings.WORKER_HEARTBEAT_RETENTION_HOURS = 24
    now = timezone.now()
    for worker, hours_ago in [("call:old", 25), ("call:older", 24 * 40), ("call:yesterday", 23), ("call:now", 0)]:
        at = now - timedelta(hours=hours_ago)
        WorkerHeartbeat.objects.create(worker=worker, shard_id="shardId-000000000000", beat_at=at, started_at=at)
    heartbeat_beat(worker="call:live", shard_id="shardId-000000000001")  # as the drain beats

    assert worker_heartbeats_prune_task() == 2

    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {"call:yesterday", "call:now", "call:live"}
    page = portal_client(manager).get("/admin/scoreboard/workerheartbeat/").content.decode()
    assert "call:old<" not in page
    assert "call:yesterday" in page
    # A keep window shorter than what the health page reads never empties it.
    settings.WORKER_HEARTBEAT_RETENTION_HOURS = 0
    assert worker_heartbeats_prune_task() == 1  # only the 23-hour-old one
    assert sorted(worker.worker.worker for worker in pipeline_health().workers) == ["call:live", "call:now"]
    entry = settings.CELERY_BEAT_SCHEDULE["scoreboard-worker-heartbeats-prune"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_reconciliations_are_read_only_for_who_sees_health_and_hidden_from_players(
    manager: User, support: User
) -> None:
    session = GameSessionFactory(session_id="X261127T080000", opening_time=BASE_TIME, closing_time=BASE_TIME)
    run = ReconciliationRun.objects.create(
        session=session, checked_at=timezone.now(), ok=False, differences=2, first_difference="discards: 1 != 2"
    )
    player = UserFactory(username="pat-player", roles=[Role.PLAYERS])
    for user in (manager, support):
        client = portal_client(user)
        page = client.get("/admin/archive/reconciliationrun/").content.decode()
        assert "X261127T080000" in page
        assert "discards: 1 != 2" in page
        assert client.post(f"/admin/archive/reconciliationrun/{run.pk}/change/", {"ok": "on"}).status_code == 403
        assert client.post(f"/admin/archive/reconciliationrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert portal_client(player).get("/admin/archive/reconciliationrun/").status_code in (302, 403)
    run.refresh_from_db()
    assert not run.ok
