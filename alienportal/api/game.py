"""The base of the game-facing endpoints (/v1/): who may call them and the original game's bodies.

The original game's functions answered `{"errorMessage"}`, with `errorCode` only for some
refusals; the game reads exactly that, so these endpoints add no codes of their own.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.access import Capability, can
from alienportal.api.base import BaseApi
from alienportal.api.errors import error_response
from alienportal.api.permissions import Can

# The one place that says who may call the game API: whoever may play (players, and managers
# trying the game).
GAME_API_PERMISSION = IsAuthenticated & Can(Capability.PLAY_GAME)


class GameErrorSerializer(serializers.Serializer):
    """A refusal as the original game's functions answered it (`errorCode` only when it had one)."""

    errorMessage = serializers.CharField()
    errorCode = serializers.CharField(required=False)


class GameSuccessSerializer(serializers.Serializer):
    successMessage = serializers.CharField()


def game_error(message: str, *, code: str | None = None, status: int) -> Response:
    """Answer a refusal with the original game's body: errorMessage, and errorCode when it had one."""
    return error_response(message, code=code, status=status)


class GameJSONParser(JSONParser):
    """DRF's JSON parser, with too deeply nested JSON a parse error (400) instead of a RecursionError (500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class GameApi(BaseApi):
    """Base of the game-facing endpoints: the game's permission, and its error bodies."""

    permission_classes = [GAME_API_PERMISSION]
    # Tokens of the game's app client only, ID or access, with or without "Bearer" (API_TOKENS).
    token_api = "game"  # noqa: S105 - an API name, not a password
    parser_classes = [GameJSONParser, FormParser, MultiPartParser]
    default_error_codes = False
    # What the original function answered when the body was not JSON.
    invalid_payload_message = "Invalid request."


ACT_AS_YOURSELF = "Players may only play as themselves."


def caller_may_act_as(request: Request, nickname: str) -> bool:
    """Tell whether the caller may act for the player `nickname`: players only as themselves, managers for anyone.

    The original game trusted its clients; ours face the internet, so a player's token names the
    only player it may seat, free or post statuses for (`cognito:username`, the name the game plays under).
    """
    if can(request, Capability.PLAY_AS_ANYONE):
        return True
    return bool(nickname) and nickname == request.user.get_username()


def refuse_acting_for_another() -> Response:
    return game_error(ACT_AS_YOURSELF, code="NotYourself", status=403)


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))
