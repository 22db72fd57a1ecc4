"""Fixtures of the support tests: people in each role, a ticket, clean Redis and token caches."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from support.models import Category, Priority, Ticket
from support.services import ticket_open
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_state(redis_flushed: None, token_caches_cleared: None) -> None:
    """Each test starts with an empty ranking index, no cached signing keys and no spent rate budgets."""


@pytest.fixture
def agent(db: None) -> User:
    return UserFactory(username="sam-support", roles=[Role.SUPPORT])


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


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
