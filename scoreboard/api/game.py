"""The game's own resources served by the scoreboard: status updates in, a session's scoreboard out."""

from __future__ import annotations

import logging
from typing import Any

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

from alienportal.api.game import GameApi, GameErrorSerializer, caller_may_act_as, game_error, refuse_acting_for_another
from alienportal.aws import aws_client
from alienportal.dates import js_time
from alienportal.kinesis_puts import PutFailed, kinesis_put
from scoreboard.selectors import ranking_top
from scoreboard.stream.records import RecordRejected, snapshot_parse
from sessions.selectors import seat_is_playing, session_by_id

logger = logging.getLogger(__name__)


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
        responses={
            200: OutputSerializer,
            400: GameErrorSerializer,
            403: GameErrorSerializer,
            422: GameErrorSerializer,
            503: GameErrorSerializer,
        },
        description=(
            "Put one status snapshot of a player's game on the stream (partition key: the nickname); "
            "200 only once the stream holds it (503 `StreamUnavailable` when it refused it or did not "
            "answer within `KINESIS_PUT_TIMEOUT_SECONDS`). "
            "Players post only their own (403 otherwise), and only while they hold a seat in that "
            "session (422 `NoSeat`); managers may post for any seated player."
        ),
    )
    def post(self, request: Request) -> Response:
        # Validate the raw bytes exactly as the drain will, so nothing that would be a dead
        # letter ever reaches the stream from here.
        try:
            snapshot = snapshot_parse(request.body)
        except RecordRejected as rejected:
            return game_error(str(rejected), code=rejected.reason, status=status.HTTP_400_BAD_REQUEST)
        if not caller_may_act_as(request, snapshot.nickname):
            return refuse_acting_for_another()
        if not seat_is_playing(session_id=snapshot.session_id, nickname=snapshot.nickname):
            # Only a seated player's game counts: no standing for someone the session never seated.
            return game_error(
                f"Gamer {snapshot.nickname} has no seat in session {snapshot.session_id}.",
                code="NoSeat",
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        try:
            # Gathered with the other requests in flight into one PutRecords; this answer waits
            # for this record's own outcome, so a 200 always means the status is on the stream.
            put = kinesis_put(
                kinesis=aws_client("kinesis"),
                stream_name=settings.KINESIS_STREAM_NAME,
                data=snapshot.encode(),
                partition_key=snapshot.nickname,
                timeout=settings.KINESIS_PUT_TIMEOUT_SECONDS,
            )
        except PutFailed as failed:
            logger.warning(
                "status_update_put_failed nickname=%s code=%s error=%s", snapshot.nickname, failed.code, failed
            )
            return game_error("The stream is unavailable, retry later.", code="StreamUnavailable", status=503)
        payload = {"ShardId": put.shard_id, "SequenceNumber": put.sequence_number}
        return Response(self.OutputSerializer(payload).data)


@extend_schema_serializer(component_name="ScoreboardStanding")
class _ScoreboardStandingSerializer(serializers.Serializer):
    Score = serializers.IntegerField()
    Level = serializers.IntegerField()
    Shots = serializers.IntegerField()
    Nickname = serializers.CharField()
    Lives = serializers.IntegerField()
    Timestamp = serializers.CharField(help_text="the snapshot's time, as JavaScript's Date.toJSON() writes it")


class ScoreboardGetApi(GameApi):
    """A session's top X as the original game's scoreboard resource answered it."""

    @extend_schema_serializer(component_name="Scoreboard")
    class OutputSerializer(serializers.Serializer):
        Scoreboard = _ScoreboardStandingSerializer(many=True)

    @extend_schema(
        operation_id="scoreboard",
        parameters=[OpenApiParameter("sessionId", str, required=True)],
        responses={200: OpenApiResponse(OutputSerializer)},
        description=(
            "The session's top X in ranking order (Score desc, Lives desc, Shots asc, Nickname asc), "
            'in the original\'s shape: `{"Scoreboard": [{Score, Level, Shots, Nickname, Lives}]}` (plus '
            '`Timestamp`); `{"Scoreboard": []}` for an unknown or missing session, as the original '
            "answered. The full ranking is the reports API's."
        ),
    )
    def get(self, request: Request) -> Response:
        # The game polls this every 2 s and sorts `Scoreboard` itself: an unknown session is an
        # empty scoreboard, never an error the game would have to survive.
        session_id = request.query_params.get("sessionId", "")
        session = session_by_id(session_id) if session_id else None
        rows: list[dict[str, Any]] = []
        if session is not None:
            rows = [
                {
                    "Score": row.score,
                    "Level": row.level,
                    "Shots": row.shots,
                    "Nickname": row.nickname,
                    "Lives": row.lives,
                    "Timestamp": js_time(row.event_time),
                }
                for row in ranking_top(session=session, limit=session.top_x)
            ]
        return Response(self.OutputSerializer({"Scoreboard": rows}).data)
