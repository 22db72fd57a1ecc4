"""Managers open, start and close sessions; a timed session closes itself at its deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from alienportal.celery import app
from alienportal.models import AuditEntry
from sessions.models import GameSession, GameType
from sessions.selectors import session_current
from sessions.services import SessionError, session_close, session_open, session_start
from sessions.tasks import sessions_close_expired_task

pytestmark = pytest.mark.django_db


def test_open_generates_a_game_style_id_and_fixes_a_timed_deadline(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=5, synchronized=True)

    assert re.fullmatch(r"X\d{6}T\d{6}", session.session_id)
    assert session.session_id == session.opening_time.strftime("X%y%m%dT%H%M%S")
    assert session.opening_time.microsecond % 1000 == 0  # JavaScript Date precision
    assert session.closes_at - session.opening_time == timedelta(minutes=5)
    assert session.effective_closing_time == session.closes_at
    assert session.closing_time is None
    assert (session.total_seats, session.top_x, session.opened_by) == (150, 10, manager)


def test_only_one_session_is_open_at_a_time(manager: User) -> None:
    first = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Evening")
    assert first.session_id == "Evening"

    with pytest.raises(SessionError, match="Evening is still open"):
        session_open(manager=manager, game_type=GameType.SINGLE_TRIAL)

    # The database refuses it too, whoever writes: a raw row on purpose, past session_open's own check.
    with pytest.raises(IntegrityError), transaction.atomic():
        GameSession.objects.create(session_id="Sneaky", game_type=GameType.SINGLE_TRIAL, opening_time=timezone.now())

    session_close(manager=manager, session=first)
    second = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, session_id="Night")
    assert session_current() == second
    session_close(manager=manager, session=second)
    with pytest.raises(SessionError, match="already exists"):
        session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, session_id="Night")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"game_type": "TETRIS"}, "Unknown game type"),
        ({"game_type": GameType.TIME_CONSTRAINED}, "1 to 30 minutes"),
        ({"game_type": GameType.TIME_CONSTRAINED, "minutes": 31}, "1 to 30 minutes"),
        ({"game_type": GameType.SINGLE_TRIAL, "minutes": 5}, "Only a time-constrained"),
        ({"game_type": GameType.MULTIPLE_TRIALS, "synchronized": True}, "can be synchronized"),
        ({"game_type": GameType.MULTIPLE_TRIALS, "total_seats": 0}, "at least one seat"),
    ],
)
def test_open_refuses_sessions_the_game_cannot_run(manager: User, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SessionError, match=message):
        session_open(manager=manager, **kwargs)  # type: ignore[arg-type]
    assert not GameSession.objects.exists()
    assert not AuditEntry.objects.exists()


def test_start_and_close_are_audited_with_before_and_after(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.SINGLE_TRIAL, synchronized=True)
    session_start(manager=manager, session=session)
    with pytest.raises(SessionError, match="already started"):
        session_start(manager=manager, session=session)
    session_close(manager=manager, session=session)
    with pytest.raises(SessionError, match="already closed"):
        session_close(manager=manager, session=session)

    session.refresh_from_db()
    assert session.opening_time <= session.synchronize_time <= session.closing_time
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["session.open", "session.start", "session.close"]
    assert {e.actor_name for e in entries} == {manager.username}
    assert {e.target_id for e in entries} == {str(session.pk)}
    assert entries[0].before is None
    assert entries[0].after["session_id"] == session.session_id
    assert entries[1].before["synchronize_time"] is None
    assert entries[1].after["synchronize_time"] == session.synchronize_time.isoformat()
    assert entries[2].before["closing_time"] is None
    assert entries[2].after["closing_time"] == session.closing_time.isoformat()


def test_start_refuses_a_session_that_is_not_synchronized(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=3)
    with pytest.raises(SessionError, match="not synchronized"):
        session_start(manager=manager, session=session)


def test_timed_session_closes_itself_at_its_deadline_even_when_the_task_runs_late(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=1)
    sessions_close_expired_task()  # not yet
    session.refresh_from_db()
    assert session.is_open

    # The clock moves on: the session opened 75 s ago, and the task runs 15 s after the deadline.
    opened = session.opening_time - timedelta(seconds=75)
    GameSession.objects.filter(pk=session.pk).update(opening_time=opened, closes_at=opened + timedelta(minutes=1))
    sessions_close_expired_task()

    session.refresh_from_db()
    assert session.closing_time == opened + timedelta(minutes=1)
    entry = AuditEntry.objects.get(action="session.close_timed")
    assert (entry.actor, entry.actor_name) == (None, "system")


def test_a_manager_closing_after_the_deadline_still_closes_at_the_deadline(manager: User) -> None:
    session = session_open(manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=2)
    opened = session.opening_time - timedelta(seconds=10)
    deadline = opened + timedelta(seconds=1)  # shortened so that it is past already
    GameSession.objects.filter(pk=session.pk).update(opening_time=opened, closes_at=deadline)
    session_close(manager=manager, session=session)
    session.refresh_from_db()
    assert session.closing_time == deadline


def test_the_beat_schedule_runs_the_session_tasks() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"sessions.tasks.sessions_close_expired_task", "sessions.tasks.session_publish_sweep_task"} <= scheduled
    assert scheduled <= set(app.tasks)
