"""Managers start a replay from the admin (audited, dry run by default) and read its report; support may not."""

from __future__ import annotations

import pytest

from alienportal.access import Role
from alienportal.models import AuditEntry
from scoreboard.archive.models import ArchiveReplay, ReplayStatus
from scoreboard.archive.services import archive_replay_run
from tests.factories import UserFactory
from tests.portal import portal_client
from tests.scoreboard.archive.results import SESSION_ID

ADD = "/admin/archive/archivereplay/add/"


@pytest.mark.django_db(transaction=True)
def test_a_manager_replays_a_session_from_the_admin_and_reads_the_report(played, settings) -> None:
    s3 = played["s3"]
    settings.ARCHIVE_BUCKET, settings.ARCHIVE_PREFIX = s3.bucket, "raw/"
    settings.AWS_ENDPOINT_URL = s3.server.url  # S3 only: a replay reads no stream
    browser = portal_client(UserFactory(username="mia-manager", roles=[Role.MANAGERS]))
    assert browser.get(ADD).status_code == 200

    response = browser.post(ADD, {"session_id": SESSION_ID, "dry_run": "on"})

    assert response.status_code == 302
    replay = ArchiveReplay.objects.get()
    assert (replay.session_id, replay.dry_run, replay.status, replay.requested_by.username) == (
        SESSION_ID,
        True,
        ReplayStatus.QUEUED,
        "mia-manager",
    )
    entry = AuditEntry.objects.get(action="archive_replay_requested")
    assert entry.after["session_id"] == SESSION_ID
    # What the archive worker runs when the queued task arrives.
    archive_replay_run(replay_pk=replay.pk)
    page = browser.get(f"/admin/archive/archivereplay/{replay.pk}/change/").content.decode()
    assert "Replay of session " + SESSION_ID in page
    assert "rank changes: 0" in page
    replay.refresh_from_db()
    assert replay.status == ReplayStatus.DONE
    assert replay.summary["events_present"] > 0
    assert replay.objects_read == replay.objects_total > 0


@pytest.mark.django_db
def test_bad_scopes_are_refused_with_a_message_and_support_may_not_replay() -> None:
    browser = portal_client(UserFactory(username="mia-manager", roles=[Role.MANAGERS]))
    response = browser.post(ADD, {"session_id": "X000000T000000", "dry_run": "on"})
    assert response.status_code == 200
    assert "There is no session" in response.content.decode()
    response = browser.post(
        ADD, {"since_0": "2026-11-27", "since_1": "12:00:00", "until_0": "2026-11-27", "until_1": "11:00:00"}
    )
    assert "The range must start before it ends." in response.content.decode()
    assert not ArchiveReplay.objects.exists()

    support = portal_client(UserFactory(username="sam-support", roles=[Role.SUPPORT]))
    assert support.get(ADD).status_code == 403
    assert support.post(ADD, {"session_id": "", "dry_run": "on"}).status_code == 403
    assert support.get("/admin/archive/archivereplay/").status_code == 403
