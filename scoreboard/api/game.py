"""The game's own resources served by the scoreboard: status updates in, a session's scoreboard out."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.game import GameApi, GameErrorSerializer, game_error
from alienportal.aws import aws_client
from scoreboard.selectors import ranking_top
from scoreboard.stream.records import RecordRejected, snapshot_parse
from sessions.selectors import session_map

logger = logging.getLogger(__name__)
SCOREBOARD_MAX = 1000


class StatusUpdateApi(GameApi):
    # Component names are explicit: every API's nested serializers are called Input/Output.
    @extend_schema_serializer(component_name="StatusUpdateInput")
    class InputSerializer(serializers.Serializer):
        SessionId = serializers.CharField()
        Nickname = serializers.CharField()
        Score = serializers.IntegerField()
        Lives = serializers.IntegerField()
        Shots = serializers.IntegerField()
        Level = serializers.IntegerField()
        Timestamp = serializers.CharField(help_text="ISO-8601 with a time zone, e.g. 2018-10-10T23:57:26.137Z")

    @extend_schema_serializer(component_name="StatusUpdateOutput")
    class OutputSerializer(serializers.Serializer):
        ShardId = serializers.CharField()
        SequenceNumber = serializers.CharField()

    @extend_schema(
        operation_id="updatestatus",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: GameErrorSerializer, 503: GameErrorSerializer},
        description="Put one status snapshot of a player's game on the stream (partition key: the nickname).",
    )
    def post(self, request: Request) -> Response:
        # Validate the raw bytes exactly as the drain will, so nothing that would be a dead
        # letter ever reaches the stream from here.
        try:
            snapshot = snapshot_parse(request.body)
        except RecordRejected as rejected:
            return game_error(str(rejected), code=rejected.reason, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = aws_client("kinesis").put_record(
                StreamName=settings.KINESIS_STREAM_NAME, Data=snapshot.encode(), PartitionKey=snapshot.nickname
            )
        except (BotoCoreError, ClientError):
            logger.warning("status_update_put_failed nickname=%s", snapshot.nickname, exc_info=True)
            return game_error("The stream is unavailable, retry later.", code="StreamUnavailable", status=503)
        payload = {"ShardId": result["ShardId"], "SequenceNumber": result["SequenceNumber"]}
        return Response(self.OutputSerializer(payload).data)


class ScoreboardGetApi(GameApi):
    @extend_schema_serializer(component_name="ScoreboardStanding")
    class OutputSerializer(serializers.Serializer):
        Rank = serializers.IntegerField()
        Nickname = serializers.CharField()
        Score = serializers.IntegerField()
        Lives = serializers.IntegerField()
        Shots = serializers.IntegerField()
        Level = serializers.IntegerField()
        Timestamp = serializers.DateTimeField()

    @extend_schema(
        operation_id="scoreboard",
        parameters=[
            OpenApiParameter("sessionId", str, required=True),
            OpenApiParameter(
                "limit", int, required=False, description=f"default: the session's top X; <= {SCOREBOARD_MAX}"
            ),
        ],
        responses={
            200: OutputSerializer(many=True),
            400: GameErrorSerializer,
            404: OpenApiResponse(GameErrorSerializer),
        },
        description="A session's standings in ranking order: Score desc, Lives desc, Shots asc, Nickname asc.",
    )
    def get(self, request: Request) -> Response:
        session_id = request.query_params.get("sessionId")
        if not session_id:
            return game_error("sessionId is required", code="MissingParameter", status=status.HTTP_400_BAD_REQUEST)
        session = session_map(session_ids=[session_id]).get(session_id)
        if session is None:
            return game_error(
                f"Session {session_id} not found", code="SessionNotFound", status=status.HTTP_404_NOT_FOUND
            )
        try:
            limit = int(request.query_params.get("limit", session.top_x))
        except ValueError:
            return game_error("limit must be an integer", code="InvalidParameter", status=status.HTTP_400_BAD_REQUEST)
        limit = max(1, min(SCOREBOARD_MAX, limit))
        rows: list[dict[str, Any]] = [
            {
                "Rank": row.rank,
                "Nickname": row.nickname,
                "Score": row.score,
                "Lives": row.lives,
                "Shots": row.shots,
                "Level": row.level,
                "Timestamp": row.event_time,
            }
            for row in ranking_top(session=session, limit=limit)
        ]
        return Response(self.OutputSerializer(rows, many=True).data)
