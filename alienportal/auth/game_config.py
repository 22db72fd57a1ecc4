"""The game's sign-in configuration (/v1/config): its user pool, app client and identity pool, from SSM."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import cache
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.game import GameApi, game_error
from alienportal.aws import aws_client
from alienportal.provisioning import game_config_cache_key, game_config_parameter_names

logger = logging.getLogger(__name__)


class GameConfigUnavailable(Exception):
    """The configuration parameters are missing (not provisioned) or SSM cannot be read."""


def game_config_parameters() -> list[dict[str, str]]:
    """Return the game's configuration as the original's SSM GetParameters mapping did, sorted by name.

    Cached for GAME_CONFIG_MAX_AGE seconds: every game client asks on every page load, and the
    values change only when provisioning re-creates the pool.
    """
    names = sorted(game_config_parameter_names().values())
    key = game_config_cache_key()
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    try:
        response = aws_client("ssm").get_parameters(Names=names)
    except (BotoCoreError, ClientError) as exc:
        logger.warning("game_config.unreadable error=%s", exc)
        raise GameConfigUnavailable("SSM cannot be read") from exc
    if response.get("InvalidParameters"):
        logger.warning("game_config.missing parameters=%s", ",".join(response["InvalidParameters"]))
        raise GameConfigUnavailable("the game configuration is not provisioned")
    parameters = sorted(
        ({"Name": str(item["Name"]), "Value": str(item["Value"])} for item in response["Parameters"]),
        key=lambda item: item["Name"],
    )
    cache.set(key, parameters, settings.GAME_CONFIG_MAX_AGE)
    return parameters


@extend_schema_serializer(component_name="GameConfigParameter")
class _ParameterSerializer(serializers.Serializer):
    Name = serializers.CharField()
    Value = serializers.CharField()


class GameConfigApi(GameApi):
    """What the game needs before anyone signs in; public, cacheable, nothing secret in it."""

    # The original's /config had no authorizer: a stale token in the header must not break it.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="GameConfig")
    class OutputSerializer(serializers.Serializer):
        Parameters = _ParameterSerializer(many=True)

    @extend_schema(
        operation_id="game_config",
        summary="Game configuration",
        auth=[],
        description=(
            "The user pool id, its URL, the game's app client id and the identity pool id, as the "
            "original's `/config` served them from SSM (`/<app>/clientid`, `identitypoolid`, `userpoolid`, "
            "`userpoolurl`). No authentication; cacheable."
        ),
        responses={200: OutputSerializer},
        examples=[
            OpenApiExample(
                "provisioned",
                value={
                    "Parameters": [
                        {"Name": "/alienportal/clientid", "Value": "4tfe5l26kdp59tc4k4v0b688nm"},
                        {
                            "Name": "/alienportal/identitypoolid",
                            "Value": "us-east-1:17092df6-7e3a-4893-4d85-c6de33cdfabc",
                        },
                        {"Name": "/alienportal/userpoolid", "Value": "us-east-1_ueLfdaSXi"},
                        {
                            "Name": "/alienportal/userpoolurl",
                            "Value": "cognito-idp.us-east-1.amazonaws.com/us-east-1_ueLfdaSXi",
                        },
                    ]
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        try:
            parameters = game_config_parameters()
        except GameConfigUnavailable:
            return game_error("The game configuration is unavailable, retry later.", status=503)
        response = Response(self.OutputSerializer({"Parameters": parameters}).data)
        patch_cache_control(response, public=True, max_age=settings.GAME_CONFIG_MAX_AGE)
        return response
