"""Each API accepts its own app clients' tokens, in the forms it allows; the portal's client opens none."""

from __future__ import annotations

import pytest

from tests.tokens import GAME_CLIENT_ID, REPORTS_CLIENT_ID, SigningKey, claims_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.alienportal.auth.api_token_urls")]

PORTAL_CLIENT_ID = "portal-oidc-client-test"
GAME, REPORTS, ME = "/api/probe/game/", "/api/probe/reports/", "/api/auth/me/"


@pytest.fixture
def clients(own_pool, settings):  # type: ignore[no-untyped-def]
    settings.GAME_API_CLIENT_IDS = [GAME_CLIENT_ID]
    settings.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID]
    settings.OIDC_RP_CLIENT_ID = PORTAL_CLIENT_ID
    return settings


def _access(client_id: str) -> dict[str, object]:
    return claims_for(sub=f"sub-{client_id}", client_id=client_id, scope="aws.cognito.signin.user.admin")


def _id(client_id: str) -> dict[str, object]:
    return claims_for(sub=f"sub-{client_id}", token_use="id", client_id=None, aud=client_id, scope=None)


def _status(client, path: str, authorization: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.get(path, HTTP_AUTHORIZATION=authorization).status_code)


def test_the_game_api_takes_game_id_and_access_tokens_bare_or_bearer(client, clients, test_key: SigningKey) -> None:
    for claims in (_access(GAME_CLIENT_ID), _id(GAME_CLIENT_ID)):
        token = test_key.sign(claims)
        assert _status(client, GAME, token) == 200  # as the original game sends it: no scheme
        assert _status(client, GAME, f"Bearer {token}") == 200


def test_a_game_token_opens_no_other_api(client, clients, test_key: SigningKey) -> None:
    for claims in (_access(GAME_CLIENT_ID), _id(GAME_CLIENT_ID)):
        assert _status(client, REPORTS, f"Bearer {test_key.sign(claims)}") == 401


def test_the_reports_api_takes_only_its_clients_access_tokens(client, clients, test_key: SigningKey) -> None:
    assert _status(client, REPORTS, f"Bearer {test_key.sign(claims_for())}") == 200
    assert _status(client, REPORTS, f"Bearer {test_key.sign(_id(REPORTS_CLIENT_ID))}") == 401
    assert _status(client, GAME, f"Bearer {test_key.sign(claims_for())}") == 401
    # Only the game API accepts a token without its scheme.
    assert _status(client, REPORTS, test_key.sign(claims_for())) == 401


def test_the_portal_clients_tokens_open_no_api_even_if_listed(client, clients, test_key: SigningKey) -> None:
    # An ID token taken from a manager's browser sign-in is the portal client's: refused even
    # when someone lists that client for an API by mistake.
    clients.GAME_API_CLIENT_IDS = [GAME_CLIENT_ID, PORTAL_CLIENT_ID]
    clients.REPORTS_API_CLIENT_IDS = [REPORTS_CLIENT_ID, PORTAL_CLIENT_ID]
    manager = {"cognito:username": "mia", "cognito:groups": ["Managers"]}
    for claims in (_id(PORTAL_CLIENT_ID), _access(PORTAL_CLIENT_ID)):
        token = test_key.sign({**claims, **manager})
        for path in (GAME, REPORTS, ME):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 401
            # (the reports API takes no ID tokens at all, so it refuses those for their use)
            assert response.json()["errorMessage"] in ("token client not accepted", "token_use not accepted")
        assert client.get(GAME, HTTP_AUTHORIZATION=token).status_code == 401


def test_an_endpoint_of_no_particular_api_takes_what_any_api_takes(client, clients, test_key: SigningKey) -> None:
    assert _status(client, ME, f"Bearer {test_key.sign(_id(GAME_CLIENT_ID))}") == 200
    assert _status(client, ME, f"Bearer {test_key.sign(claims_for())}") == 200
    assert _status(client, ME, f"Bearer {test_key.sign(_id(REPORTS_CLIENT_ID))}") == 401
    assert _status(client, ME, test_key.sign(claims_for())) == 401  # no scheme: not here


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "not-a-jwt", "a.b", "..", "Bearer"])
def test_other_authorization_forms_are_not_tokens(client, clients, header: str) -> None:
    assert _status(client, GAME, header) == 401
