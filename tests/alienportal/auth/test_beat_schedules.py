"""Managers may look at Celery beat's schedules but not change them (issue 14)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from alienportal.access import Role
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = pytest.mark.django_db


def _manager() -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


def test_a_manager_cannot_disable_the_drains_shard_sync_in_the_admin() -> None:
    """Before: Managers had every permission, so one click disabled the drain's beat task."""
    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.SECONDS)
    task = PeriodicTask.objects.create(
        name="scoreboard-shards-sync", task="scoreboard.tasks.stream_shards_sync", interval=every
    )
    manager = _manager()
    browser = portal_client(manager)
    url = f"/admin/django_celery_beat/periodictask/{task.pk}/change/"

    assert browser.get(url).status_code == 200  # may look
    response = browser.post(url, {"name": task.name, "task": task.task, "interval": every.pk, "enabled": ""})

    assert response.status_code == 403
    assert PeriodicTask.objects.get(pk=task.pk).enabled
    assert manager.has_perm("django_celery_beat.view_periodictask")
    for action in ("add", "change", "delete"):
        assert not manager.has_perm(f"django_celery_beat.{action}_periodictask")
        assert not manager.has_perm(f"django_celery_beat.{action}_intervalschedule")
