"""The access policy: each role's capabilities, token callers, superusers, and the admin permissions derived from it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from alienportal.access import (
    PORTAL_CAPABILITIES,
    ROLE_CAPABILITIES,
    Capability,
    Role,
    can,
    capabilities_of,
    has_portal_access,
    roles_of,
)
from alienportal.auth.authentication import token_caller
from alienportal.auth.services import ROLE_PERMISSIONS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUPPORT_MAY = {
    Capability.RELEASE_SEATS,
    Capability.LOOK_UP_PLAYERS,
    Capability.VIEW_RANKINGS,
    Capability.VIEW_HISTORY,
    Capability.VIEW_HEALTH,
    Capability.READ_REPORTS,
    Capability.WORK_TICKETS,
}


def _user(username: str, *groups: str, superuser: bool = False) -> User:
    return UserFactory(username=username, roles=groups, is_superuser=superuser)


def _request_of(user: User):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_managers_may_do_everything_support_no_session_control_players_only_play() -> None:
    manager, support, player = _user("mia", "Managers"), _user("sam", "Support"), _user("pia", "Players")
    assert capabilities_of(manager) == frozenset(Capability)
    assert capabilities_of(support) == SUPPORT_MAY
    assert capabilities_of(player) == {Capability.PLAY_GAME}
    for capability in (Capability.RUN_SESSIONS, Capability.REPLAY_DEAD_LETTERS, Capability.CONFIGURE_SUPPORT):
        assert not can(support, capability)
    # A request answers as its user does.
    assert can(_request_of(support), Capability.RELEASE_SEATS)
    assert not can(_request_of(support), Capability.RUN_SESSIONS)


def test_roles_add_up_and_unknown_groups_are_ignored() -> None:
    both = _user("bo", "Support", "Players", "SomeOtherGroup")
    assert roles_of(both) == {Role.SUPPORT, Role.PLAYERS}
    assert capabilities_of(both) == SUPPORT_MAY | {Capability.PLAY_GAME}


def test_a_local_superuser_may_use_the_whole_portal_but_not_play() -> None:
    admin = _user("root", superuser=True)
    assert capabilities_of(admin) == PORTAL_CAPABILITIES
    assert not can(admin, Capability.PLAY_GAME)
    assert has_portal_access(admin)
    admin.is_active = False
    assert not has_portal_access(admin)
    assert not capabilities_of(admin)


def test_players_and_people_without_a_role_never_reach_the_portal() -> None:
    assert not has_portal_access(_user("pia", "Players"))
    assert not has_portal_access(_user("nobody"))
    assert has_portal_access(_user("sam", "Support"))
    assert has_portal_access(_user("mia", "Managers"))


def test_token_callers_have_the_roles_of_their_cognito_groups_not_of_django_groups() -> None:
    caller = token_caller({"sub": "s-1", "cognito:username": "mia", "cognito:groups": ["Managers", "Elsewhere"]})
    assert roles_of(caller) == {Role.MANAGERS}
    assert can(caller, Capability.RUN_SESSIONS)
    client = token_caller({"sub": "s-2", "client_id": "reports"})
    assert roles_of(client) == frozenset()
    assert not can(client, Capability.READ_REPORTS)  # a REST client's rights are its scopes


def test_admin_permissions_are_derived_from_the_capabilities() -> None:
    assert ROLE_PERMISSIONS[Role.MANAGERS] == "__all__"
    assert ROLE_PERMISSIONS[Role.PLAYERS] == frozenset()
    support = ROLE_PERMISSIONS[Role.SUPPORT]
    assert isinstance(support, frozenset)
    assert {"game_sessions.change_seat", "game_sessions.view_seat", "support.change_ticket"} <= support
    assert not {name for name in support if name.startswith("game_sessions.") and "gamesession" in name} - {
        "game_sessions.view_gamesession"
    }
    assert set(ROLE_CAPABILITIES) == set(Role)
