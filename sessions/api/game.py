"""The game-facing session and seat endpoints, answering as the original game's API did."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.game import GameApi, GameErrorSerializer, GameSuccessSerializer, StrictCharField, game_error
from sessions.models import Seat
from sessions.selectors import session_current, session_document_json
from sessions.services import SeatOutcome, seat_allocate, seat_deallocate

USERNAME_MISSING = "Invalid request. Username not provided."
NICKNAME_MAX_LENGTH = Seat._meta.get_field("nickname").max_length or 64


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


class _SeatInputSerializer(serializers.Serializer):
    Username = StrictCharField(max_length=NICKNAME_MAX_LENGTH, trim_whitespace=False)

    def validate_Username(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(USERNAME_MISSING)
        return value


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
            return game_error(USERNAME_MISSING, status=400)
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
        responses={200: SeatAllocateOutputSerializer, 400: GameErrorSerializer, 422: GameErrorSerializer},
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
        responses={200: SeatDeallocateOutputSerializer, 400: GameErrorSerializer, 422: GameErrorSerializer},
    )
)
class SeatDeallocateApi(_SeatApi):
    """Give the seat back: the player's game is over (they count as having played)."""

    InputSerializer = SeatDeallocateInputSerializer
    OutputSerializer = SeatDeallocateOutputSerializer

    def seat_service(self, *, nickname: str) -> SeatOutcome:
        return seat_deallocate(nickname=nickname)
