"""Fixtures of the support tests: people in each role, and a ticket."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from alienportal.auth.services import user_roles_sync
from support.models import Category, Priority, Ticket
from support.services import ticket_open
from tests.alienportal.auth.conftest import _fresh_caches, jwks_server, own_pool, test_key  # noqa: F401 - token fixtures
from tests.scoreboard.conftest import _clean_redis, fence, make_session  # noqa: F401 - the drain's fixtures


def user_in(role: Role, username: str) -> User:
    """Create a user with `role`, its group and permissions synced as at a provider sign-in."""
    user = User.objects.create_user(username=username, password="x-pass-123456")
    user_roles_sync(user=user, groups=[role.value])
    return User.objects.get(pk=user.pk)


@pytest.fixture
def agent(db: None) -> User:
    return user_in(Role.SUPPORT, "sam-support")


@pytest.fixture
def manager(db: None) -> User:
    return user_in(Role.MANAGERS, "mia-manager")


@pytest.fixture
def ticket(agent: User) -> Ticket:
    return ticket_open(
        actor=agent,
        nickname="zoe",
        subject="My score vanished",
        description="I had 900 points",
        category=Category.SCORE_DISPUTE,
        priority=Priority.HIGH,
    )
