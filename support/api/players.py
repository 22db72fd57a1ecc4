"""The players' side of the desk (game clients, Players token): open a ticket, list theirs, read, reply.

A player only ever reaches their own tickets (`Ticket.objects.for_player`: another player's
ticket is a 404, as if it did not exist) and only ever reads replies and their own messages, never an
internal note or a desk event (`visible_to_player`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.access import Capability
from alienportal.api.base import BaseApi
from alienportal.api.errors import ErrorSerializer
from alienportal.api.permissions import Can
from sessions.models import GameSession
from support.access import player_nickname
from support.errors import NotFound
from support.models import Category, Source, Ticket
from support.services import ticket_open, ticket_player_reply

# What a player may file; "cheating suspected" is the pipeline's queue, never a player's.
PLAYER_CATEGORIES = [choice for choice in Category.choices if choice[0] != Category.CHEATING_SUSPECTED]


class PlayerTicketApi(BaseApi):
    """Base of the players' ticket endpoints: the game client's tokens, callers who play the game.

    Every ticket is looked up among the caller's own (`Ticket.objects.for_player`): another
    player's ticket answers 404, as if it did not exist, even to a manager trying the game.
    """

    token_api = "game"  # noqa: S105 - an API name, not a password
    permission_classes = [IsAuthenticated & Can(Capability.PLAY_GAME)]

    def nickname(self, request: Request) -> str:
        nickname = player_nickname(request)
        if nickname is None:  # pragma: no cover - the permission admits game players only
            raise NotFound("No player.", code="NotAPlayer")
        return nickname

    def ticket(self, request: Request, pk: int) -> Ticket:
        ticket = Ticket.objects.for_player(request).select_related("session").filter(pk=pk).first()
        if ticket is None:
            raise NotFound("No such ticket.", code="TicketNotFound")
        return ticket


class MessageOutputSerializer(serializers.Serializer):
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")

    def get_author(self, message: Any) -> str:
        return "player" if message.kind == "PLAYER" else "support"


class TicketOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    sessionId = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_sessionId(self, ticket: Ticket) -> str | None:
        return ticket.session.session_id if ticket.session is not None else None


class TicketDetailOutputSerializer(TicketOutputSerializer):
    messages = serializers.SerializerMethodField()

    def get_messages(self, ticket: Ticket) -> list[dict[str, Any]]:
        # The one place a player's view of the thread is built: replies and their own messages only.
        return MessageOutputSerializer(ticket.messages.visible_to_player(), many=True).data  # type: ignore[return-value]


class PlayerTicketListApi(PlayerTicketApi):
    """List the player's own tickets, newest first; or open a new one."""

    class InputSerializer(serializers.Serializer):
        subject = serializers.CharField(max_length=200)
        description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
        category = serializers.ChoiceField(choices=PLAYER_CATEGORIES, default=Category.OTHER)
        sessionId = serializers.CharField(max_length=64, required=False)

        class Meta:
            ref_name = "PlayerTicketOpenInput"

        def validate_sessionId(self, value: str) -> GameSession:
            session = GameSession.objects.filter(session_id=value).first()
            if session is None:
                raise serializers.ValidationError("No such session.")
            return session

    @extend_schema(operation_id="player_ticket_list", responses={200: TicketOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        tickets = Ticket.objects.for_player(request).select_related("session").order_by("-created_at", "-pk")[:100]
        return Response(TicketOutputSerializer(tickets, many=True).data)

    @extend_schema(
        operation_id="player_ticket_open",
        request=InputSerializer,
        responses={201: TicketDetailOutputSerializer, 400: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = ticket_open(
            actor=request.user,
            nickname=self.nickname(request),
            subject=data["subject"],
            description=data["description"],
            category=data["category"],
            session=data.get("sessionId"),
            source=Source.PLAYER,
        )
        return Response(TicketDetailOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)


class PlayerTicketDetailApi(PlayerTicketApi):
    """One of the player's tickets with the replies and their own messages (never internal notes)."""

    @extend_schema(
        operation_id="player_ticket_get", responses={200: TicketDetailOutputSerializer, 404: ErrorSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(TicketDetailOutputSerializer(self.ticket(request, pk)).data)


class PlayerTicketReplyApi(PlayerTicketApi):
    """Write on one of the player's tickets; a ticket waiting on them (or resolved) goes back to the desk."""

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=10_000)

        class Meta:
            ref_name = "PlayerTicketReplyInput"

    @extend_schema(
        operation_id="player_ticket_reply",
        request=InputSerializer,
        responses={201: TicketDetailOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 422: ErrorSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket_player_reply(nickname=self.nickname(request), ticket=ticket, body=serializer.validated_data["body"])
        ticket.refresh_from_db()
        return Response(TicketDetailOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)
