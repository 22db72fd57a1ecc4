"""Who may use each reports endpoint: every URL of /api/v1/ x every kind of caller."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver

from reports.api.urls import urlpatterns
from tests.reports.callers import (
    ANONYMOUS,
    MANAGER,
    PLAYER,
    PLAYER_TOKEN,
    REST_CLIENT,
    REST_CLIENT_NO_SCOPE,
    ROLES,
    SUPPORT,
    body,
)

pytestmark = pytest.mark.django_db(transaction=True)

READ = {
    ANONYMOUS: 401,
    PLAYER: 403,  # signed in, but Players read no reports
    PLAYER_TOKEN: 401,  # the game client's token is not a caller of the reports API
    SUPPORT: 200,
    MANAGER: 200,
    REST_CLIENT: 200,
    REST_CLIENT_NO_SCOPE: 403,
}
REPLAY = {**READ, SUPPORT: 403, REST_CLIENT: 403}

SAMPLE = {"session_id": "X261127T090000", "nickname": "ann"}


def _paths() -> list[str]:
    paths = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        for name, value in SAMPLE.items():
            route = route.replace(f"<str:{name}>", value).replace(f"<path:{name}>", value)
        # Comparing needs the sessions to compare.
        query = f"?session_id={SAMPLE['session_id']}" if route == "sessions/compare/" else ""
        paths.append("/api/v1/" + route + query)
    return paths


READ_PATHS = [path for path in _paths() if not path.endswith("/replay/")]


def test_every_reports_route_is_tested_here() -> None:
    mounted = [str(p.pattern) for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"]
    assert mounted == ["api/v1/"]
    assert len(READ_PATHS) == len(urlpatterns) - 1  # every route but the replay POST


@pytest.fixture
def sample(played) -> None:  # type: ignore[no-untyped-def]
    played.session(SAMPLE["session_id"])
    played.scores(SAMPLE["session_id"], {"ann": 120, "bob": 80})
    played.raw(b"not json")


@pytest.mark.parametrize("path", READ_PATHS)
def test_reads_are_for_managers_support_and_reports_clients_with_the_scope(path, callers, sample) -> None:  # type: ignore[no-untyped-def]
    got = {role: callers(role).get(path).status_code for role in ROLES}
    assert got == READ
    denied = callers(REST_CLIENT_NO_SCOPE).get(path)
    assert body(denied) == {
        "errorMessage": "Reading reports needs an access token with the reports/read scope, or a Managers or Support "
        "sign-in.",
        "errorCode": "Forbidden",
    }
    assert callers(ANONYMOUS).get(path)["Content-Type"] == "application/json"


def test_only_managers_replay_dead_letters(callers, sample) -> None:  # type: ignore[no-untyped-def]
    path = "/api/v1/dead-letters/replay/"
    got = {
        role: callers(role).post(path, {"reason": "invalid_json"}, content_type="application/json").status_code
        for role in ROLES
    }
    assert got == REPLAY
    answer = callers(MANAGER).post(path, {"reason": "invalid_json"}, content_type="application/json")
    assert body(answer) == {"examined": 1, "replayed": 0, "still_dead": 1, "reasons": {"invalid_json": 1}}
