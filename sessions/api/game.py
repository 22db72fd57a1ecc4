"""The game-facing session and seat endpoints, answering as the original game's API did."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.game import (
    GameApi,
    GameErrorSerializer,
    GameSuccessSerializer,
    caller_may_act_as,
    game_error,
    refuse_acting_for_another,
)
from sessions.consumers import start_ticket_issue
from sessions.identifiers import NICKNAME_MAX_CHARS, NicknameInvalid, nickname_clean
from sessions.live import SESSION_START_WS_PATH
from sessions.selectors import session_current, session_document_json
from sessions.services import SeatOutcome, seat_allocate, seat_deallocate

USERNAME_MISSING = "Invalid request. Username not provided."
USERNAME_INVALID = f"Invalid request. Username must be 1 to {NICKNAME_MAX_CHARS} printable characters."


class SessionCurrentApi(GameApi):
    """The current session (open, or most recently closed), as the game reads it from SSM."""

    @extend_schema(
        operation_id="game_session_current",
        summary="Current session",
        description=(
            "The current session's JSON (the SSM parameter's value) as a JSON *string*, as the "
            'original API Gateway mapping returned it; `"null"` when no session was ever opened. '
            "Served from the portal's database, so it is right even while SSM lags."
        ),
        responses={200: OpenApiTypes.STR},
        examples=[
            OpenApiExample(
                "open session",
                value='{"GameType":"MULTIPLE_TRIALS","SessionId":"X181001T215808",'
                '"OpeningTime":"2018-10-01T21:58:08.123Z","TotalSeats":150}',
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(session_document_json(session=session_current()))


class NicknameField(serializers.CharField):
    """A player's name, cleaned by the one nickname rule (sessions.identifiers) the stream applies too."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError(USERNAME_MISSING)
        try:
            return nickname_clean(data)
        except NicknameInvalid:
            raise serializers.ValidationError(USERNAME_INVALID) from None


class _SeatInputSerializer(serializers.Serializer):
    Username = NicknameField(max_length=NICKNAME_MAX_CHARS)


class SeatAllocateInputSerializer(_SeatInputSerializer):
    class Meta:
        ref_name = "SeatAllocateInput"


class SeatAllocateOutputSerializer(GameSuccessSerializer):
    class Meta:
        ref_name = "SeatAllocateOutput"


class SeatDeallocateInputSerializer(_SeatInputSerializer):
    class Meta:
        ref_name = "SeatDeallocateInput"


class SeatDeallocateOutputSerializer(GameSuccessSerializer):
    class Meta:
        ref_name = "SeatDeallocateOutput"


class _SeatApi(GameApi):
    """A seat operation on the current session: read the player's name, call the seat service.

    Refusals (`SeatRefused`) are answered by the API base: 422 with the game's message and code.
    """

    InputSerializer: type[_SeatInputSerializer]
    OutputSerializer: type[GameSuccessSerializer]

    def seat_service(self, *, nickname: str) -> SeatOutcome:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        if not serializer.is_valid():
            messages = [str(message) for message in serializer.errors.get("Username", [])]
            return game_error(USERNAME_INVALID if USERNAME_INVALID in messages else USERNAME_MISSING, status=400)
        if not caller_may_act_as(request, serializer.validated_data["Username"]):
            return refuse_acting_for_another()
        outcome = self.seat_service(nickname=serializer.validated_data["Username"])
        return Response(self.OutputSerializer({"successMessage": outcome.message}).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="game_seat_allocate",
        summary="Allocate a seat",
        description=(
            'Success: "Success allocating <Username>", or "Keep playing." for a player already seated. '
            "422 refusals: `NoSeatsAvailable`, `GamerCannotPlay` (single-trial and time-constrained "
            'sessions), "Session is closed.", "No session available.".'
        ),
        request=SeatAllocateInputSerializer,
        responses={
            200: SeatAllocateOutputSerializer,
            400: GameErrorSerializer,
            403: GameErrorSerializer,
            422: GameErrorSerializer,
        },
    )
)
class SeatAllocateApi(_SeatApi):
    """Take a seat in the current session for the game about to start."""

    invalid_payload_message = "Invalid payload for request"

    InputSerializer = SeatAllocateInputSerializer
    OutputSerializer = SeatAllocateOutputSerializer

    def seat_service(self, *, nickname: str) -> SeatOutcome:
        return seat_allocate(nickname=nickname)


@extend_schema_view(
    post=extend_schema(
        operation_id="game_seat_deallocate",
        summary="Deallocate a seat",
        description=(
            'Success: "Success deallocating <Username>", or "User <Username> not found in the list of '
            'playing gamers. Discarded." when they hold no seat. 422 "No session available." when no '
            "session was ever opened."
        ),
        request=SeatDeallocateInputSerializer,
        responses={
            200: SeatDeallocateOutputSerializer,
            400: GameErrorSerializer,
            403: GameErrorSerializer,
            422: GameErrorSerializer,
        },
    )
)
class SeatDeallocateApi(_SeatApi):
    """Give the seat back: the player's game is over (they count as having played)."""

    InputSerializer = SeatDeallocateInputSerializer
    OutputSerializer = SeatDeallocateOutputSerializer

    def seat_service(self, *, nickname: str) -> SeatOutcome:
        return seat_deallocate(nickname=nickname)


class SessionWebSocketApi(GameApi):
    """Where the game waits for a synchronized session's start (the original's `/websocket` resource)."""

    @extend_schema(
        operation_id="game_websocket_url",
        summary="WebSocket URL",
        description=(
            "The WebSocket URL (a JSON string, as the original returned its SSM parameter) on which a "
            "seated player of the current synchronized session waits: when the manager starts the "
            "session the server sends the text message `start`. The URL carries a signed ticket "
            "naming the caller and the session (browsers cannot send an Authorization header on a "
            "WebSocket); clients that can may connect with their token in `Authorization` instead."
        ),
        responses={200: OpenApiTypes.STR},
    )
    def get(self, request: Request) -> Response:
        session = session_current()
        ticket = start_ticket_issue(
            nickname=request.user.get_username(), session_id=session.session_id if session else None
        )
        base = settings.GAME_WEBSOCKET_URL or (
            f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}{SESSION_START_WS_PATH}"
        )
        return Response(f"{base}?{urlencode({'ticket': ticket})}")
