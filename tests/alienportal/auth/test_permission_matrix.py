"""Every URL the project exposes x every role -> the status tests/access_rules.py expects."""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests import access_rules as rules
from tests.factories import ProviderUserFactory
from tests.tokens import REPORTS_CLIENT_ID, SigningKey, claims_for

GAME_CLIENT_ID = "game-client-test"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


ROUTES = list(dict.fromkeys(_routes(get_resolver().url_patterns)))


def _rule(route: str) -> rules.Rule | None:
    return next((rule for rule in rules.RULES if fnmatch.fnmatchcase(route, rule.glob)), None)


def _sample_path(route: str, rule: rules.Rule) -> str:
    values = {**rules.SAMPLE_KWARGS, **rule.kwargs}
    admin_model = re.match(r"admin/(\w+)/(\w+)/<", route)
    if admin_model and not rule.kwargs:
        model = apps.get_model(admin_model.group(1), admin_model.group(2))
        first = model.objects.order_by("pk").values_list("pk", flat=True).first()
        assert first is not None, f"no {model.__name__} to open: create one in access_rules.sample_objects_create"
        values = {**values, "object_id": str(first), "id": str(first), "pk": str(first)}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_url_pattern_has_a_rule() -> None:
    missing = [route for route in ROUTES if _rule(route) is None]
    assert not missing, f"add rules to tests/access_rules.py for: {missing}"


def _client_for(role: str, users: dict[str, User], tokens: dict[str, str]) -> Client:
    client = Client()
    if role in tokens:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {tokens[role]}"
    elif role == rules.SUPERUSER:
        client.force_login(users[role], backend="alienportal.auth.backends.BreakGlassBackend")
    elif role in users:
        client.force_login(users[role], backend="alienportal.auth.backends.CognitoOIDCBackend")
        session = client.session
        # A fresh provider sign-in: the session refresh is not due yet.
        session["oidc_id_token_expiration"] = time.time() + 3600
        session.save()
    return client


def _outcome(response: Any) -> int | str:
    if response.status_code == 302 and response["Location"].startswith("/oidc/authenticate/"):
        return rules.SIGN_IN
    return int(response.status_code)


def _meets(expected: int | str, outcome: int | str) -> bool:
    if expected == rules.OPEN:
        return outcome not in (rules.SIGN_IN, 401, 403) and isinstance(outcome, int) and outcome < 500
    return outcome == expected


@pytest.fixture
def actors(provisioned, own_pool, settings, test_key: SigningKey) -> tuple[dict[str, User], dict[str, str]]:  # type: ignore[no-untyped-def]
    # `provisioned`: /v1/config answers from SSM, which the session's moto must hold whatever ran before.
    settings.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID]
    settings.GAME_API_CLIENT_IDS = [GAME_CLIENT_ID]
    settings.API_THROTTLE_RATE = None  # hundreds of requests from one test client
    settings.SIGN_IN_RATE_LIMIT = None
    rules.sample_objects_create()
    users = {rules.SUPERUSER: User.objects.create_superuser("root", "root@example.com", "pw-1")}
    for role, groups in [
        (rules.PLAYER, ["Players"]),
        (rules.NO_ROLE, []),
        (rules.SUPPORT, ["Support"]),
        (rules.MANAGER, ["Managers"]),
    ]:
        users[role] = ProviderUserFactory(username=role, roles=groups)
    tokens = {
        rules.REST_CLIENT: test_key.sign(claims_for()),
        rules.PLAYER_TOKEN: test_key.sign(
            claims_for(
                sub="sub-player",
                client_id=GAME_CLIENT_ID,
                scope="aws.cognito.signin.user.admin",
                username="player",
                **{"cognito:groups": ["Players"]},
            )
        ),
    }
    return users, tokens


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_route_answers_each_role_as_the_rules_say(route: str, actors) -> None:  # type: ignore[no-untyped-def]
    rule = _rule(route)
    if rule is None:
        pytest.fail(f"no rule in tests/access_rules.py for {route!r}")
    path = _sample_path(route, rule)  # after the fixture: admin object pages need their objects
    served_by = resolve(path).route
    if served_by != route:
        # Shadowed by an earlier pattern (e.g. the admin's own login, replaced by ours): that URL is
        # tested under the pattern that really serves it.
        assert served_by in ROUTES
        assert _rule(served_by) is not None
        return
    users, tokens = actors
    got = {role: _outcome(_client_for(role, users, tokens).get(path)) for role in rules.ROLES}
    wrong = {
        role: (f"expected {rule.expect[role]}", f"got {got[role]}")
        for role in rules.ROLES
        if not _meets(rule.expect[role], got[role])
    }
    assert not wrong, f"{path}: {wrong}"
