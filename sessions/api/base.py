"""What every game-facing endpoint shares: who may call it and the original game's error bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alienportal.roles import Role, role_permission

# The one place that says who may call the game API: players, and managers trying the game.
# Authentication is DRF's default until the Cognito bearer authentication lands; it plugs in
# through settings, not here.
GAME_API_PERMISSION = IsAuthenticated & role_permission(Role.PLAYERS, Role.MANAGERS)


class GameErrorSerializer(serializers.Serializer):
    """A refusal as the original game's functions answered it (`errorCode` only when it had one)."""

    errorMessage = serializers.CharField()
    errorCode = serializers.CharField(required=False)


class GameSuccessSerializer(serializers.Serializer):
    successMessage = serializers.CharField()


def game_error(message: str, *, code: str | None = None, status: int) -> Response:
    """Answer a refusal with the original game's body: errorMessage, and errorCode when it had one."""
    body = {"errorMessage": message}
    if code:
        body["errorCode"] = code
    return Response(body, status=status)


class GameApi(APIView):
    """Base of the game-facing endpoints: the game's permission, and its answer to unreadable JSON."""

    permission_classes = [GAME_API_PERMISSION]
    # Tokens of the game's app client only, ID or access, with or without "Bearer" (API_TOKENS).
    token_api = "game"  # noqa: S105 - an API name, not a password
    # What the original function answered when the body was not JSON.
    invalid_payload_message = "Invalid request."

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ParseError):
            return game_error(self.invalid_payload_message, status=400)
        return super().handle_exception(exc)


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))
