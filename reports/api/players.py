"""Players: search by nickname, one player's history across sessions, and the historical leaderboard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reports.api.base import ACCESS_NOTE, CSV_RESPONSE, ReportsApi, cursor_pagination, error_responses, page_serializer
from reports.api.conditional import conditional_response
from reports.api.exports import csv_response
from reports.api.serializers import (
    HISTORY_COLUMNS,
    LEADERBOARD_COLUMNS,
    PLAYER_COLUMNS,
    HistoryOutput,
    LeaderboardEntryOutput,
    OpenedRangeQuery,
    PlayerOutput,
    WindowQuery,
    api_time,
)
from reports.api.sessions import ranked_data, window_links
from scoreboard.models import Standing
from scoreboard.selectors.history import (
    LeaderboardEntry,
    leaderboard_rows,
    leaderboard_window,
    player_history,
    player_positions,
    player_search,
)
from sessions.identifiers import NICKNAME_MAX_CHARS

NICKNAME = OpenApiParameter("nickname", str, OpenApiParameter.PATH, description="The player's nickname.")


class PlayerSearchQuery(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        max_length=NICKNAME_MAX_CHARS,
        help_text="Nicknames starting with this text (case-sensitive).",
    )


class PlayerListApi(ReportsApi):
    """Players with a standing in any session, by nickname."""

    QuerySerializer = PlayerSearchQuery
    paginated = True
    pagination_class = cursor_pagination("nickname")

    @extend_schema(
        operation_id="players_list",
        description="Players (nickname order, by cursor): sessions played, best score, last played." + ACCESS_NOTE,
        parameters=[PlayerSearchQuery],
        responses={200: page_serializer(PlayerOutput, "PlayerPage"), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        players = player_search(prefix=self.query(request).get("search"))
        return self.paginated_response(players, lambda page: PlayerOutput(page, many=True).data)


class PlayerExportApi(ReportsApi):
    QuerySerializer = PlayerSearchQuery

    @extend_schema(
        operation_id="players_export",
        description="The player list as CSV, nickname order, same filters. Columns: "
        + ", ".join(PLAYER_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[PlayerSearchQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        players = player_search(prefix=self.query(request).get("search"))
        rows = ([row[column] for column in PLAYER_COLUMNS] for row in players.iterator(chunk_size=5000))
        return csv_response(filename="players.csv", header=PLAYER_COLUMNS, rows=rows)


def history_data(standings: Sequence[Standing]) -> list[dict[str, Any]]:
    positions = player_positions(standings=standings)
    rows = []
    for standing in standings:
        position = positions.get(standing.session_id)
        session = standing.session
        rows.append(
            {
                "session_id": session.session_id,
                "game_type": session.game_type,
                "opening_time": session.opening_time,
                "closing_time": session.closing_time,
                "score": standing.score,
                "lives": standing.lives,
                "shots": standing.shots,
                "level": standing.level,
                "event_time": standing.event_time,
                "rank": position.rank if position else None,
                "players": position.count if position else None,
                "percentile": position.percentile if position else None,
            }
        )
    return rows


class PlayerHistoryApi(ReportsApi):
    """One player's standing in each session, newest session first, with their rank there."""

    QuerySerializer = OpenedRangeQuery
    paginated = True
    pagination_class = cursor_pagination("-session_id")

    @extend_schema(
        operation_id="players_history",
        description="The player's standing, rank and percentile in each session (newest first, by cursor). "
        "A player without standings has an empty history." + ACCESS_NOTE,
        parameters=[NICKNAME, OpenedRangeQuery],
        responses={200: page_serializer(HistoryOutput, "HistoryPage"), **error_responses(400)},
    )
    def get(self, request: Request, nickname: str) -> Response:
        standings = player_history(nickname=nickname, **self.query(request))
        return self.paginated_response(standings, lambda page: HistoryOutput(history_data(page), many=True).data)


class PlayerHistoryExportApi(ReportsApi):
    QuerySerializer = OpenedRangeQuery

    @extend_schema(
        operation_id="players_history_export",
        description="The player's history as CSV, newest session first, same filters. Columns: "
        + ", ".join(HISTORY_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[NICKNAME, OpenedRangeQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request, nickname: str) -> StreamingHttpResponse:
        standings = player_history(nickname=nickname, **self.query(request))

        def rows() -> Any:
            batch: list[Standing] = []
            for standing in standings.iterator(chunk_size=500):
                batch.append(standing)
                if len(batch) == 500:
                    yield from ([row[c] for c in HISTORY_COLUMNS] for row in history_data(batch))
                    batch = []
            yield from ([row[c] for c in HISTORY_COLUMNS] for row in history_data(batch))

        return csv_response(filename="history.csv", header=HISTORY_COLUMNS, rows=rows())


class LeaderboardQuery(OpenedRangeQuery, WindowQuery):
    pass


class LeaderboardOutput(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="When the window was read.")
    start = serializers.IntegerField()
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next window of ranks, null after the last.")
    previous = serializers.URLField(allow_null=True)
    results = LeaderboardEntryOutput(many=True)


def entry_data(entry: LeaderboardEntry, zone: tzinfo | None = None) -> dict[str, Any]:
    """One LeaderboardEntryOutput, as its serializer writes it: a RankedOutput and the session."""
    return {**ranked_data(entry, zone), "session_id": entry.session_id}


class LeaderboardApi(ReportsApi):
    """The historical leaderboard: each player's best standing across the sessions of a date range."""

    QuerySerializer = LeaderboardQuery

    @extend_schema(
        operation_id="leaderboard",
        description="Ranks start .. start+limit-1 (limit default 50) of the historical leaderboard over the "
        "sessions opened in [opened_from, opened_to) (optionally of one game type): each player once, with "
        "their best standing in the ranking order and the session it was earned in. ETag / Last-Modified; "
        "304 when unchanged." + ACCESS_NOTE,
        parameters=[LeaderboardQuery],
        responses={200: LeaderboardOutput, 304: None, **error_responses(400)},
    )
    def get(self, request: Request) -> HttpResponse:
        query = self.query(request)
        start, limit = query.pop("start"), query.pop("limit", None) or 50
        as_of = timezone.now()
        entries = leaderboard_window(start=start, limit=limit, **query)
        zone = timezone.get_current_timezone()
        data = {  # a LeaderboardOutput, in its fields' order
            "as_of": api_time(as_of),
            "start": start,
            "limit": limit,
            **window_links(request, start=start, limit=limit, count=None, page=len(entries)),
            "results": [entry_data(entry, zone) for entry in entries],
        }
        return conditional_response(request, data)


class LeaderboardExportApi(ReportsApi):
    QuerySerializer = OpenedRangeQuery

    @extend_schema(
        operation_id="leaderboard_export",
        description="The whole historical leaderboard as CSV, best first, streamed, same filters. Columns: "
        + ", ".join(LEADERBOARD_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[OpenedRangeQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        entries = leaderboard_rows(**self.query(request))
        rows = ([getattr(entry, column) for column in LEADERBOARD_COLUMNS] for entry in entries)
        return csv_response(filename="leaderboard.csv", header=LEADERBOARD_COLUMNS, rows=rows)
