"""The pipeline for monitoring systems: per-shard figures, dead letters by reason, the dead letters, replay."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.access import Capability
from alienportal.api.permissions import Can
from reports.api.base import ACCESS_NOTE, CSV_RESPONSE, ReportsApi, cursor_pagination, error_responses, page_serializer
from reports.api.exports import csv_response
from reports.api.serializers import (
    DEAD_LETTER_COLUMNS,
    DEAD_LETTER_COUNT_COLUMNS,
    SHARD_COLUMNS,
    DeadLetterCountOutput,
    DeadLetterOutput,
    ShardOutput,
)
from scoreboard.models import DeadLetter
from scoreboard.selectors.dead_letters import dead_letter_counts, dead_letter_list
from scoreboard.selectors.health import HealthState, pipeline_archive_state
from scoreboard.selectors.pipeline import ShardFigures, pipeline_shard_figures
from scoreboard.services import dead_letters_replay


class ShardQuery(serializers.Serializer):
    stream_name = serializers.CharField(required=False, max_length=128, help_text="Only this stream's shards.")


class ShardListOutput(serializers.Serializer):
    as_of = serializers.DateTimeField()
    results = ShardOutput(many=True)


def shard_data(figures: ShardFigures) -> dict[str, Any]:
    data = {column: getattr(figures, column) for column in SHARD_COLUMNS}
    # Sequence numbers reach 129 digits: a string, or JSON readers would round them.
    data["checkpoint"] = str(figures.checkpoint) if figures.checkpoint is not None else None
    return data


class PipelineShardListApi(ReportsApi):
    """Per shard: lease, checkpoint and its age, Kinesis lag, counters and throughput."""

    QuerySerializer = ShardQuery

    @extend_schema(
        operation_id="pipeline_shards",
        description="Per-shard pipeline figures: lag (millis_behind_latest), throughput over the last window, "
        "checkpoint age, counters, lease." + ACCESS_NOTE,
        parameters=[ShardQuery],
        responses={200: ShardListOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        as_of = timezone.now()
        figures = pipeline_shard_figures(now=as_of, **self.query(request))
        return Response(ShardListOutput({"as_of": as_of, "results": [shard_data(f) for f in figures]}).data)


class PipelineShardExportApi(ReportsApi):
    QuerySerializer = ShardQuery

    @extend_schema(
        operation_id="pipeline_shards_export",
        description="The per-shard figures as CSV. Columns: " + ", ".join(SHARD_COLUMNS) + "." + ACCESS_NOTE,
        parameters=[ShardQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        figures = pipeline_shard_figures(now=timezone.now(), **self.query(request))
        rows = ([shard_data(f)[column] for column in SHARD_COLUMNS] for f in figures)
        return csv_response(filename="shards.csv", header=SHARD_COLUMNS, rows=rows)


HEALTH_CHOICES = [state.value for state in HealthState]


class ArchiveShardOutput(serializers.Serializer):
    shard_id = serializers.CharField()
    owner = serializers.CharField(help_text="The archive consumer's lease holder; empty when free.")
    finished = serializers.BooleanField(help_text="A closed shard (after resharding) read to its end.")
    checkpoint = serializers.CharField(allow_null=True, help_text="Last sequence number in S3 (a decimal string).")
    last_upload_at = serializers.DateTimeField(allow_null=True)
    last_key = serializers.CharField(help_text="The S3 key of the last object put.")
    objects_uploaded = serializers.IntegerField()
    records_archived = serializers.IntegerField()
    bytes_archived = serializers.IntegerField()
    upload_failures = serializers.IntegerField()
    last_error = serializers.CharField(help_text="The error of the failing upload; empty once one succeeds.")
    lag_seconds = serializers.FloatField(
        allow_null=True, help_text="Age of the oldest record read but not yet in S3, else the read lag."
    )
    lag_health = serializers.ChoiceField(
        choices=HEALTH_CHOICES,
        help_text="lag_seconds against HEALTH_THRESHOLDS['archive_lag_s'] (unknown: not measured yet; a finished "
        "shard, or the archive off, is green).",
    )
    health = serializers.ChoiceField(
        choices=HEALTH_CHOICES, help_text="This shard's state: its lag_health, at least amber while its uploads fail."
    )


class ReconciliationOutput(serializers.Serializer):
    session_id = serializers.CharField(source="session.session_id")
    checked_at = serializers.DateTimeField()
    ok = serializers.BooleanField(help_text="Redis index, PostgreSQL standings and a replay of the archive agree.")
    players = serializers.IntegerField()
    archive_records = serializers.IntegerField()
    archive_objects = serializers.IntegerField()
    differences = serializers.IntegerField()
    first_difference = serializers.CharField()


class ArchiveOutput(serializers.Serializer):
    as_of = serializers.DateTimeField()
    enabled = serializers.BooleanField(help_text="False: the portal does not archive (a Firehose does).")
    health = serializers.ChoiceField(
        choices=HEALTH_CHOICES,
        help_text="Against HEALTH_THRESHOLDS: green, amber, red, unknown (the worst shard, failing uploads, "
        "reconciliations).",
    )
    stream_name = serializers.CharField()
    bucket = serializers.CharField()
    last_upload_at = serializers.DateTimeField(allow_null=True)
    lag_seconds = serializers.FloatField(allow_null=True, help_text="The worst shard's lag.")
    shards = ArchiveShardOutput(many=True)
    reconciliations = ReconciliationOutput(many=True, help_text="The latest, newest first.")


class PipelineArchiveApi(ReportsApi):
    """The raw archive for monitoring systems: lag, last upload, per shard, and the latest reconciliations."""

    @extend_schema(
        operation_id="pipeline_archive",
        description="The S3 raw archive: how far behind the stream it is, its last upload, per-shard counters and "
        "errors, its health state against HEALTH_THRESHOLDS['archive_lag_s'], and the latest reconciliations "
        "of sessions (Redis, PostgreSQL and a replay of the archive compared)." + ACCESS_NOTE,
        responses={200: ArchiveOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        self.query(request)
        archive = pipeline_archive_state()
        status = archive.status
        data = {
            "as_of": timezone.now(),
            "enabled": status.enabled,
            "health": archive.state.value,
            "stream_name": status.stream_name,
            "bucket": status.bucket,
            "last_upload_at": status.last_upload_at,
            "lag_seconds": status.lag_seconds,
            "shards": [
                {
                    **asdict(judged.shard),
                    "checkpoint": None if judged.shard.checkpoint is None else str(judged.shard.checkpoint),
                    "lag_health": judged.lag.value,
                    "health": judged.state.value,
                }
                for judged in archive.shards
            ],
            "reconciliations": archive.reconciliations,
        }
        return Response(ArchiveOutput(data).data)


class CreatedRangeQuery(serializers.Serializer):
    created_from = serializers.DateTimeField(required=False, help_text="Dead letters created at or after.")
    created_to = serializers.DateTimeField(required=False, help_text="Dead letters created before.")


class DeadLetterCountListOutput(serializers.Serializer):
    as_of = serializers.DateTimeField()
    results = DeadLetterCountOutput(many=True)


class DeadLetterCountListApi(ReportsApi):
    """Dead letters by reason: how many, how many still wait for a replay, the latest."""

    QuerySerializer = CreatedRangeQuery

    @extend_schema(
        operation_id="dead_letters_counts",
        description="Dead-letter counts by reason (for monitoring)." + ACCESS_NOTE,
        parameters=[CreatedRangeQuery],
        responses={200: DeadLetterCountListOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        counts = dead_letter_counts(**self.query(request))
        return Response(DeadLetterCountListOutput({"as_of": timezone.now(), "results": counts}).data)


class DeadLetterCountExportApi(ReportsApi):
    QuerySerializer = CreatedRangeQuery

    @extend_schema(
        operation_id="dead_letters_counts_export",
        description="Dead-letter counts by reason as CSV. Columns: "
        + ", ".join(DEAD_LETTER_COUNT_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[CreatedRangeQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        counts = dead_letter_counts(**self.query(request))
        rows = ([getattr(count, column) for column in DEAD_LETTER_COUNT_COLUMNS] for count in counts)
        return csv_response(filename="dead-letter-counts.csv", header=DEAD_LETTER_COUNT_COLUMNS, rows=rows)


class DeadLetterQuery(CreatedRangeQuery):
    reason = serializers.CharField(required=False, max_length=64)
    session_id = serializers.CharField(required=False, max_length=64)
    replayed = serializers.BooleanField(required=False, allow_null=True, default=None)


def dead_letter_data(letter: DeadLetter) -> dict[str, Any]:
    data = bytes(letter.data)
    return {
        "id": letter.pk,
        "shard_id": letter.shard_id,
        "sequence_number": str(int(letter.sequence_number)),
        "reason": letter.reason,
        "detail": letter.detail,
        "session_id": letter.session_id,
        "created_at": letter.created_at,
        "replayed_at": letter.replayed_at,
        "size": len(data),
        "data_base64": base64.b64encode(data).decode("ascii"),
    }


class DeadLetterListApi(ReportsApi):
    """The dead letters, oldest first, with their raw bytes."""

    QuerySerializer = DeadLetterQuery
    paginated = True
    pagination_class = cursor_pagination("pk")

    @extend_schema(
        operation_id="dead_letters_list",
        description="Dead letters (oldest first, by cursor), filtered by reason, session, replayed, creation time."
        + ACCESS_NOTE,
        parameters=[DeadLetterQuery],
        responses={200: page_serializer(DeadLetterOutput, "DeadLetterPage"), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        letters = dead_letter_list(**self.query(request))
        return self.paginated_response(
            letters, lambda page: DeadLetterOutput(map(dead_letter_data, page), many=True).data
        )


class DeadLetterExportApi(ReportsApi):
    QuerySerializer = DeadLetterQuery

    @extend_schema(
        operation_id="dead_letters_export",
        description="The dead letters as CSV, oldest first, same filters. Columns: "
        + ", ".join(DEAD_LETTER_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[DeadLetterQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        letters = dead_letter_list(**self.query(request))
        rows = (
            [dead_letter_data(letter)[column] for column in DEAD_LETTER_COLUMNS]
            for letter in letters.iterator(chunk_size=2000)
        )
        return csv_response(filename="dead-letters.csv", header=DEAD_LETTER_COLUMNS, rows=rows)


class ReplayInput(serializers.Serializer):
    session_id = serializers.CharField(required=False, max_length=64, help_text="Only this session's letters.")
    reason = serializers.CharField(required=False, max_length=64, help_text="Only letters with this reason.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=10_000, default=10_000)


class ReplayOutput(serializers.Serializer):
    examined = serializers.IntegerField()
    replayed = serializers.IntegerField(help_text="Now standings (or discards): no longer dead.")
    still_dead = serializers.IntegerField()
    reasons = serializers.DictField(child=serializers.IntegerField(), help_text="Why the others still fail.")


class DeadLetterReplayApi(ReportsApi):
    """Route waiting dead letters again, e.g. once their session exists (managers only)."""

    permission_classes = [IsAuthenticated & Can(Capability.REPLAY_DEAD_LETTERS)]

    @extend_schema(
        operation_id="dead_letters_replay",
        description="Replay waiting dead letters (managers only: a Managers sign-in or a Managers token; the "
        "reports/read scope is not enough). A replayed record keeps its shard and sequence number, so it "
        "counts once however often it is replayed. Each replay is in the audit log (who, which letters, how many).",
        request=ReplayInput,
        responses={200: ReplayOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        self.query(request)
        serializer = ReplayInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        summary = dead_letters_replay(
            actor=request.user,
            session_ids=[given["session_id"]] if "session_id" in given else None,
            reasons=[given["reason"]] if "reason" in given else None,
            limit=given["limit"],
        )
        return Response(ReplayOutput(summary).data)
