"""Fixtures of the sessions tests: people in the portal's roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from alienportal.roles import Role


def user_in(role: Role, username: str) -> User:
    user = User.objects.create_user(username=username, password="x-pass-123456")
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return user


@pytest.fixture
def manager(db: None) -> User:
    user = user_in(Role.MANAGERS, "mia-manager")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def player(db: None) -> User:
    return user_in(Role.PLAYERS, "pete-player")
