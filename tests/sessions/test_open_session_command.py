"""`manage.py open_session` opens a session, prints its id and publishes it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from alienportal.aws import aws_client
from alienportal.models import AuditEntry
from sessions.models import GameSession, SessionPublication

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("open_session", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_open_session_prints_the_id_and_publishes_it(manager: User) -> None:
    session_id = _run("--game-type", "TIME_CONSTRAINED", "--minutes", "3", "--manager", manager.username)

    session = GameSession.objects.get(session_id=session_id)
    assert (session.game_type, session.time_limit_minutes, session.is_open) == ("TIME_CONSTRAINED", 3, True)
    value = aws_client("ssm").get_parameter(Name=settings.SSM_SESSION_PARAMETER)["Parameter"]["Value"]
    assert json.loads(value)["SessionId"] == session_id
    assert AuditEntry.objects.get(action="session.open").actor == manager

    with pytest.raises(CommandError, match="still open"):
        _run("--game-type", "MULTIPLE_TRIALS")
    assert _run("--game-type", "MULTIPLE_TRIALS", "--reuse-open") == session_id
    assert GameSession.objects.count() == 1


def test_reusing_the_open_session_publishes_it_again_to_an_ssm_that_lost_it(manager: User) -> None:
    session_id = _run("--game-type", "MULTIPLE_TRIALS")
    # The demo's moto starts empty on every run, while the database says the session is published.
    aws_client("ssm").delete_parameter(Name=settings.SSM_SESSION_PARAMETER)

    assert _run("--game-type", "MULTIPLE_TRIALS", "--reuse-open") == session_id

    value = aws_client("ssm").get_parameter(Name=settings.SSM_SESSION_PARAMETER)["Parameter"]["Value"]
    assert json.loads(value)["SessionId"] == session_id
    assert not SessionPublication.objects.get().is_pending
