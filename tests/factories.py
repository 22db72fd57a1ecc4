"""Test data built the way the portal builds it: people through the role sync, sessions through
`session_open`, standings and score events through the drain's own write path (`batch_persist`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.test import TestCase

from alienportal.auth.services import user_from_claims, user_roles_sync
from alienportal.dates import js_time
from scoreboard.stream.leases import Fence
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameSession, GameType
from sessions.services import session_close, session_open

# The moment the test records are stamped around (`record(seconds=...)` offsets from it).
BASE_TIME = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PASSWORD = "x-pass-123456"
PROVIDER_ISSUER = "http://provider.test"


class UserFactory(factory.django.DjangoModelFactory):
    """A person with `roles` (Role members or group names), groups and permissions synced as at a
    provider sign-in: `UserFactory(username="mia", roles=[Role.MANAGERS])`; no roles, no access."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person-{n}")
    roles: Iterable[str] = ()

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, roles: Iterable[str] = (), **kwargs: Any) -> User:
        kwargs.setdefault("password", PASSWORD)
        return _roles_synced(model_class.objects.create_user(*args, **kwargs), roles)


class ProviderUserFactory(UserFactory):
    """A person as the OpenID provider's first sign-in creates them (an identity with a `sub`)."""

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, roles: Iterable[str] = (), **kwargs: Any) -> User:
        username = kwargs["username"]
        claims = {"sub": f"sub-{username}", "cognito:username": username}
        return _roles_synced(user_from_claims(issuer=PROVIDER_ISSUER, claims=claims), roles)


def _roles_synced(user: User, roles: Iterable[str]) -> User:
    user_roles_sync(user=user, groups=[str(role) for role in roles])
    # Fetched again: Django caches a user's permissions, and these changed after it was loaded.
    return User.objects.get(pk=user.pk)


class GameSessionFactory(factory.django.DjangoModelFactory):
    """A session opened by `session_open` (validation, audit, publication), closed by `session_close`
    when `closing_time` is given.

    `session_open` stamps the real time; records in tests carry fixed times around BASE_TIME, so
    `opening_time` and `closing_time` (and `occupied_seats`) are then set on the row as a clock
    would have left them.
    """

    class Meta:
        model = GameSession

    session_id = "X261127T100000"
    game_type = GameType.MULTIPLE_TRIALS
    total_seats = 150
    top_x = 10
    minutes = factory.LazyAttribute(lambda o: 10 if o.game_type == GameType.TIME_CONSTRAINED else None)
    opening_time = BASE_TIME - timedelta(hours=1)
    closing_time: datetime | None = None

    @classmethod
    def _create(cls, model_class: type[GameSession], *args: Any, **kwargs: Any) -> GameSession:
        opening_time = kwargs.pop("opening_time")
        closing_time = kwargs.pop("closing_time")
        moved = {name: kwargs.pop(name) for name in ("occupied_seats",) if name in kwargs}
        session = session_open(manager=kwargs.pop("manager", None), **kwargs)
        if closing_time is not None:
            session_close(manager=None, session=session)
        moved.update(opening_time=opening_time, closing_time=closing_time)
        model_class.objects.filter(pk=session.pk).update(**moved)
        return model_class.objects.get(pk=session.pk)


def record(sequence: int, session_id: str = "X261127T100000", nickname: str = "ann", **fields: Any) -> StreamRecord:
    """A GetRecords-shaped record carrying one snapshot; `seconds` offsets its timestamp from BASE_TIME."""
    moment = BASE_TIME + timedelta(seconds=fields.pop("seconds", 0))
    body = {
        "SessionId": session_id,
        "Nickname": nickname,
        "Score": fields.pop("score", 100),
        "Lives": fields.pop("lives", 3),
        "Shots": fields.pop("shots", 10),
        "Level": fields.pop("level", 1),
        "Timestamp": js_time(moment),
    }
    body.update(fields)
    return StreamRecord(sequence, json.dumps(body).encode())


def records_persist(*, fence: Fence, records: Sequence[StreamRecord]) -> None:
    """Write `records` as the drain does, its after-commit work (Redis index, live revision) included."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch_persist(fence=fence, records=records)


class Played:
    """Sessions and their standings, the standings written through the drain's own path (batch_persist)."""

    def __init__(self, fence: Fence) -> None:
        self.fence = fence
        self.sequence = 0

    def session(self, session_id: str, *, hours_ago: float = 1, closed: bool = True, **extra: Any) -> GameSession:
        """A session opened `hours_ago` before BASE_TIME, closed an hour after it unless `closed` is false."""
        return GameSessionFactory(
            session_id=session_id,
            opening_time=BASE_TIME - timedelta(hours=hours_ago),
            closing_time=BASE_TIME + timedelta(hours=1) if closed else None,
            **extra,
        )

    def scores(self, session_id: str, scores: dict[str, int], **fields: Any) -> None:
        """One snapshot per (nickname, score), a second apart, in one batch."""
        records = []
        for nickname, score in scores.items():
            self.sequence += 1
            records.append(record(self.sequence, session_id, nickname, score=score, seconds=self.sequence, **fields))
        batch_persist(fence=self.fence, records=records)

    def raw(self, data: bytes) -> None:
        self.sequence += 1
        batch_persist(fence=self.fence, records=[StreamRecord(self.sequence, data)])
