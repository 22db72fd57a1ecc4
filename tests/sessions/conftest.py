"""Fixtures of the sessions tests: people in the portal's roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from tests.factories import UserFactory


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="mia-manager", roles=[Role.MANAGERS])


@pytest.fixture
def player(db: None) -> User:
    return UserFactory(username="pete-player", roles=[Role.PLAYERS])
