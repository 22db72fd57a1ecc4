"""Fixtures of the sessions tests: people in the portal's roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alienportal.access import Role
from alienportal.auth.services import user_roles_sync


def user_in(role: Role, username: str) -> User:
    """Create a user with `role`, its group and permissions synced as at a provider sign-in."""
    user = User.objects.create_user(username=username, password="x-pass-123456")
    user_roles_sync(user=user, groups=[role.value])
    return User.objects.get(pk=user.pk)


@pytest.fixture
def manager(db: None) -> User:
    return user_in(Role.MANAGERS, "mia-manager")


@pytest.fixture
def player(db: None) -> User:
    return user_in(Role.PLAYERS, "pete-player")
