"""GET /v1/config as AWSFacade.getConfig calls it before anyone signs in (awsfacade.js getConfig, init)."""

from __future__ import annotations

import json

import pytest

from alienportal.aws import aws_client
from tests.contract.game import GameClient, Pool

pytestmark = pytest.mark.django_db


def _service_config(parameters: list[dict[str, str]], name: str) -> str:
    # AWSFacade.getServiceConfig: the first parameter whose Name contains the lower-cased key.
    return next(item for item in parameters if name.lower() in item["Name"])["Value"]


def test_config_gives_what_the_game_signs_in_with_without_authentication(anonymous: GameClient, pool: Pool) -> None:
    status, text = anonymous.get("config")

    assert status == 200
    parameters = json.loads(text)["Parameters"]
    provisioned = pool.provisioned
    assert _service_config(parameters, "userpoolid") == provisioned.user_pool_id
    assert (
        _service_config(parameters, "userpoolurl") == f"cognito-idp.us-east-1.amazonaws.com/{provisioned.user_pool_id}"
    )
    assert _service_config(parameters, "clientid") == provisioned.game_client_id
    assert _service_config(parameters, "identitypoolid") == provisioned.identity_pool_id
    # Nothing secret: no app client secret, no other client.
    for secret in (provisioned.portal_client_secret, provisioned.reports_client_secret, provisioned.portal_client_id):
        assert secret not in text


def test_config_is_cacheable_and_served_cross_origin(anonymous: GameClient, pool: Pool) -> None:
    response = anonymous.http.get("/v1/config", HTTP_ORIGIN="https://game.example")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_stale_or_foreign_authorization_header_does_not_break_config(anonymous: GameClient, pool: Pool) -> None:
    # The original's /config had no authorizer: whatever the header says, the game gets its config.
    for header in ("garbage", "Bearer a.b.c"):
        assert anonymous.http.get("/v1/config", HTTP_AUTHORIZATION=header).status_code == 200


def test_the_configured_identity_pool_gives_the_signed_in_player_credentials(anonymous: GameClient, pool: Pool) -> None:
    # CognitoFacade.updateAWSConfig: Logins[<userpoolurl>] = ID token, then credentials.refresh().
    parameters = json.loads(anonymous.get("config")[1])["Parameters"]
    _, player = pool.player()
    logins = {_service_config(parameters, "userpoolurl"): player.id_token}
    identity = aws_client("cognito-identity")
    identity_id = identity.get_id(IdentityPoolId=_service_config(parameters, "identitypoolid"), Logins=logins)
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id["IdentityId"], Logins=logins)
    assert credentials["Credentials"]["SessionToken"]
