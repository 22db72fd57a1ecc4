"""Cognito groups become Django groups with each role's permissions, on every sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User

from alienportal.access import has_portal_access
from alienportal.auth.models import Identity
from alienportal.auth.services import user_from_claims, user_roles_sync

pytestmark = pytest.mark.django_db

ISSUER = "http://127.0.0.1:9/test-provider"


def _user(sub: str = "sub-1", username: str = "alice", email: str = "alice@example.com") -> User:
    return user_from_claims(issuer=ISSUER, claims={"sub": sub, "cognito:username": username, "email": email})


def test_manager_gets_the_admin_and_session_control_but_cannot_edit_users() -> None:
    user = _user()
    assert user_roles_sync(user=user, groups=["Managers"]) == {"Managers"}
    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert not user.is_superuser
    assert user.has_perms(["game_sessions.add_gamesession", "game_sessions.change_gamesession", "auth.view_user"])
    # Users and groups come from Cognito; whoever could edit them could make themselves superuser.
    assert not user.has_perm("auth.change_user")
    assert not user.has_perm("auth.change_group")
    assert has_portal_access(user)


def test_support_gets_seat_release_and_look_up_but_no_session_control() -> None:
    user = _user()
    user_roles_sync(user=user, groups=["Support"])
    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert user.has_perms(["game_sessions.view_gamesession", "game_sessions.change_seat"])
    assert not user.has_perm("game_sessions.change_gamesession")
    assert not user.has_perm("game_sessions.add_gamesession")
    assert not user.has_perm("game_sessions.delete_gamesession")
    assert has_portal_access(user)


@pytest.mark.parametrize("groups", [["Players"], [], ["SomeOtherGroup"]])
def test_players_and_people_without_a_role_get_nothing(groups: list[str]) -> None:
    user = _user()
    user_roles_sync(user=user, groups=groups)
    user = User.objects.get(pk=user.pk)
    assert not user.is_staff
    assert not user.get_all_permissions()
    assert not has_portal_access(user)


def test_a_group_removed_at_the_provider_is_removed_at_the_next_sync() -> None:
    user = _user()
    user_roles_sync(user=user, groups=["Managers", "Support"])
    assert set(user.groups.values_list("name", flat=True)) == {"Managers", "Support"}
    user_roles_sync(user=user, groups=["Support"])
    user = User.objects.get(pk=user.pk)
    assert set(user.groups.values_list("name", flat=True)) == {"Support"}
    assert not user.has_perm("game_sessions.change_gamesession")
    user_roles_sync(user=user, groups=[])
    user = User.objects.get(pk=user.pk)
    assert not user.is_staff
    assert not has_portal_access(user)


def test_users_are_matched_by_sub_never_by_email() -> None:
    first = _user(sub="sub-1", username="alice", email="shared@example.com")
    # Another person later gets the same e-mail address: a different account.
    second = _user(sub="sub-2", username="bob", email="shared@example.com")
    assert first.pk != second.pk
    # The first person changes e-mail and username at the provider: still the same account.
    again = _user(sub="sub-1", username="alice2", email="new@example.com")
    assert again.pk == first.pk
    assert (again.username, again.email) == ("alice2", "new@example.com")
    assert Identity.objects.get(subject="sub-1").user_id == first.pk


def test_a_provider_user_never_takes_over_a_local_account_of_the_same_name() -> None:
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-break-glass-1")
    user = _user(sub="sub-evil", username="admin")
    assert user.pk != admin.pk
    assert not user.is_superuser
    assert user.username.startswith("admin-")


def test_provider_users_cannot_sign_in_with_a_password() -> None:
    user = _user()
    user_roles_sync(user=user, groups=["Managers"])
    user.set_password("known-password-1")
    user.save()
    assert authenticate(username=user.username, password="known-password-1") is None


def test_local_superusers_keep_password_sign_in() -> None:
    User.objects.create_superuser("root", "root@example.com", "break-glass-password-1")
    user = authenticate(username="root", password="break-glass-password-1")
    assert user is not None
    assert user.is_superuser
    assert authenticate(username="root", password="wrong") is None


def test_role_groups_exist_with_the_right_names() -> None:
    user_roles_sync(user=_user(), groups=[])
    assert set(Group.objects.values_list("name", flat=True)) >= {"Managers", "Support", "Players"}
    assert not Group.objects.get(name="Players").permissions.exists()
