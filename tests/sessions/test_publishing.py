"""The current session reaches the SSM parameter in the original game's JSON shape, even across an SSM outage."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from alienportal.aws import aws_client
from alienportal.celery import app
from alienportal.dates import js_time
from sessions.models import GameType
from sessions.selectors import publication_get
from sessions.services import SessionPublishFailed, session_close, session_open, session_publish, session_start
from sessions.tasks import session_publish_sweep_task

pytestmark = pytest.mark.django_db

JS_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def ssm_session() -> Any:
    raw = aws_client("ssm").get_parameter(Name=settings.SSM_SESSION_PARAMETER)["Parameter"]["Value"]
    return json.loads(raw)


@pytest.fixture
def celery_eager() -> Iterator[None]:
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def test_open_start_close_publish_the_original_shape_field_for_field(
    manager: User, celery_eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    # Published the way production does it: queued on commit, run by the Celery task.
    with django_capture_on_commit_callbacks(execute=True):
        session = session_open(
            manager=manager, game_type=GameType.TIME_CONSTRAINED, minutes=5, synchronized=True, session_id="X1"
        )
    opened = ssm_session()
    # The manager page of the original wrote its game-type choice, then id, opening time, seats.
    assert list(opened) == ["GameType", "TimeoutInMinutes", "Synchronized", "SessionId", "OpeningTime", "TotalSeats"]
    assert opened == {
        "GameType": "TIME_CONSTRAINED",
        "TimeoutInMinutes": 5,
        "Synchronized": True,
        "SessionId": "X1",
        "OpeningTime": js_time(session.opening_time),
        "TotalSeats": 150,
    }
    assert JS_DATE.fullmatch(opened["OpeningTime"])

    with django_capture_on_commit_callbacks(execute=True):
        session = session_start(manager=manager, session=session)
    started = ssm_session()
    assert started == {**opened, "SynchronizeTime": js_time(session.synchronize_time)}
    assert JS_DATE.fullmatch(started["SynchronizeTime"])

    with django_capture_on_commit_callbacks(execute=True):
        session = session_close(manager=manager, session=session)
    closed = ssm_session()
    assert closed == {**started, "ClosingTime": js_time(session.closing_time)}
    assert list(closed)[-1] == "ClosingTime"
    publication = publication_get()
    assert not publication.is_pending
    assert publication.published_at is not None
    assert publication.last_error == ""


@pytest.mark.parametrize(
    ("game_type", "keys"),
    [
        (GameType.MULTIPLE_TRIALS, ["GameType", "SessionId", "OpeningTime", "TotalSeats"]),
        (GameType.SINGLE_TRIAL, ["GameType", "Synchronized", "SessionId", "OpeningTime", "TotalSeats"]),
    ],
)
def test_each_game_type_has_the_original_keys(manager: User, game_type: str, keys: list[str]) -> None:
    session_open(manager=manager, game_type=game_type, total_seats=40, session_id=f"S-{game_type}")
    session_publish()
    published = ssm_session()
    assert list(published) == keys
    assert (published["GameType"], published["TotalSeats"]) == (game_type, 40)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_ssm_outage_keeps_the_portal_right_and_recovery_publishes_the_latest_value(
    manager: User, settings: Any
) -> None:
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Outage")
    session_publish()
    reachable = settings.AWS_ENDPOINT_URL

    # SSM goes away: nothing listens on this port.
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"
    settings.AWS_MAX_ATTEMPTS = 2
    session_close(manager=manager, session=session)
    with pytest.raises(SessionPublishFailed):
        session_publish()
    session_publish_sweep_task()  # the sweep fails too, and says so

    session.refresh_from_db()
    assert session.closing_time is not None  # the portal's own state is right
    publication = publication_get()
    assert publication.is_pending
    assert "Could not connect" in publication.last_error
    assert publication.failed_attempts == 2

    # SSM comes back; the next sweep publishes the closed session.
    settings.AWS_ENDPOINT_URL = reachable
    assert ssm_session().get("ClosingTime") is None  # the game still saw it open during the outage
    session_publish_sweep_task()

    assert ssm_session() == {
        "GameType": "MULTIPLE_TRIALS",
        "SessionId": "Outage",
        "OpeningTime": js_time(session.opening_time),
        "TotalSeats": 150,
        "ClosingTime": js_time(session.closing_time),
    }
    publication = publication_get()
    assert not publication.is_pending
    assert (publication.last_error, publication.failed_attempts) == ("", 0)
