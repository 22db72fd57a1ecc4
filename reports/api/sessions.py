"""Sessions: the list, one session's summary, sessions side by side, a session's ranking and a player's place."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from alienportal.errors import NotFound
from reports.api.base import ACCESS_NOTE, CSV_RESPONSE, ReportsApi, cursor_pagination, error_responses, page_serializer
from reports.api.conditional import conditional_response
from reports.api.exports import csv_response
from reports.api.serializers import (
    RANKED_COLUMNS,
    SESSION_COLUMNS,
    SESSION_STATES,
    OpenedRangeQuery,
    RankedOutput,
    SessionOutput,
    SessionSummaryOutput,
    WindowQuery,
    api_time,
)
from scoreboard.selectors import RankedStanding, ranking_position_around
from scoreboard.selectors.history import LeaderboardEntry, session_summary, sessions_compare
from scoreboard.selectors.windows import ranking_rows, ranking_window_counted
from sessions.models import GameSession
from sessions.selectors import session_by_id, session_list

SESSION_ID = OpenApiParameter("session_id", str, OpenApiParameter.PATH, description="The game's session id.")
NICKNAME = OpenApiParameter("nickname", str, OpenApiParameter.PATH, description="The player's nickname.")


def session_found(*, session_id: str) -> GameSession:
    session = session_by_id(session_id)
    if session is None:
        raise NotFound(f"No session {session_id!r}.", code="SessionNotFound")
    return session


def session_data(session: GameSession) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "game_type": session.game_type,
        "state": "open" if session.is_open else "closed",
        "opening_time": session.opening_time,
        "closing_time": session.closing_time,
        "closes_at": session.closes_at,
        "synchronize_time": session.synchronize_time,
        "total_seats": session.total_seats,
        "occupied_seats": session.occupied_seats,
        "top_x": session.top_x,
    }


def ranked_data(row: RankedStanding | LeaderboardEntry, zone: tzinfo | None = None) -> dict[str, Any]:
    """One RankedOutput, as its serializer writes it (see reports.api.serializers.api_time)."""
    return {
        "rank": row.rank,
        "nickname": row.nickname,
        "score": row.score,
        "lives": row.lives,
        "shots": row.shots,
        "level": row.level,
        "event_time": api_time(row.event_time, zone),
    }


class SessionListQuery(OpenedRangeQuery):
    state = serializers.ChoiceField(choices=SESSION_STATES, required=False)


class SessionListApi(ReportsApi):
    """Game sessions, newest first, filtered by state, game type and opening time."""

    QuerySerializer = SessionListQuery
    paginated = True
    pagination_class = cursor_pagination("-pk")

    @extend_schema(
        operation_id="sessions_list",
        description="Game sessions, newest first, by cursor." + ACCESS_NOTE,
        parameters=[SessionListQuery],
        responses={200: page_serializer(SessionOutput, "SessionPage"), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        sessions = session_list(**self.query(request))
        return self.paginated_response(
            sessions, lambda page: SessionOutput([session_data(s) for s in page], many=True).data
        )


class SessionExportApi(ReportsApi):
    QuerySerializer = SessionListQuery

    @extend_schema(
        operation_id="sessions_export",
        description="The session list as CSV, newest first, same filters. Columns: "
        + ", ".join(SESSION_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[SessionListQuery],
        responses={**CSV_RESPONSE, **error_responses(400)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        sessions = session_list(**self.query(request)).order_by("-pk")
        rows = ([session_data(s)[column] for column in SESSION_COLUMNS] for s in sessions.iterator(chunk_size=2000))
        return csv_response(filename="sessions.csv", header=SESSION_COLUMNS, rows=rows)


class SessionDetailOutput(SessionOutput):
    as_of = serializers.DateTimeField(help_text="When the figures were read.")
    summary = SessionSummaryOutput()


class SessionDetailApi(ReportsApi):
    """One session and its summary: players, records, discards, dead letters, top score, duration."""

    @extend_schema(
        operation_id="sessions_retrieve",
        description="One session with its summary. ETag / Last-Modified; 304 when unchanged." + ACCESS_NOTE,
        parameters=[SESSION_ID],
        responses={200: SessionDetailOutput, 304: None, **error_responses(400, 404)},
    )
    def get(self, request: Request, session_id: str) -> HttpResponse:
        self.query(request)
        session = session_found(session_id=session_id)
        as_of = timezone.now()
        summary = session_summary(session=session, as_of=as_of)
        data = {
            **session_data(session),
            "as_of": as_of,
            "summary": SessionSummaryOutput(summary).data,
        }
        data = SessionDetailOutput(data).data
        # While a session runs its duration grows with every read: the ETag covers the other figures.
        figures = {key: value for key, value in data["summary"].items() if key != "duration_seconds"}
        stable = {**data, "summary": figures} if session.is_open else data
        return conditional_response(request, data, stable=stable)


class CompareQuery(serializers.Serializer):
    session_id = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=20, help_text="Repeat for each session."
    )


class CompareOutput(serializers.Serializer):
    as_of = serializers.DateTimeField()
    results = SessionSummaryOutput(many=True)


class SessionCompareApi(ReportsApi):
    """Sessions side by side: the summary of each session named, in the order named."""

    QuerySerializer = CompareQuery

    @extend_schema(
        operation_id="sessions_compare",
        description="Summaries of up to 20 sessions (`session_id` repeated), in the order given; an unknown "
        "id is a 404." + ACCESS_NOTE,
        parameters=[CompareQuery],
        responses={200: CompareOutput, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        asked = self.query(request)["session_id"]
        as_of = timezone.now()
        summaries = sessions_compare(session_ids=asked, as_of=as_of)
        missing = sorted(set(asked) - {summary.session_id for summary in summaries})
        if missing:
            raise NotFound(f"No session {', '.join(missing)}.", code="SessionNotFound")
        return Response(CompareOutput({"as_of": as_of, "results": summaries}).data)


class RankingOutput(serializers.Serializer):
    session_id = serializers.CharField()
    as_of = serializers.DateTimeField(help_text="When the window was read: the ranks as they were then.")
    count = serializers.IntegerField(help_text="Players ranked in the session.")
    start = serializers.IntegerField()
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next window of ranks, null after the last rank.")
    previous = serializers.URLField(allow_null=True)
    results = RankedOutput(many=True)


def window_links(request: Request, *, start: int, limit: int, count: int | None, page: int) -> dict[str, str | None]:
    url = request.build_absolute_uri()
    has_next = start + limit <= count if count is not None else page == limit
    return {
        "next": replace_query_param(url, "start", start + limit) if has_next else None,
        "previous": replace_query_param(url, "start", max(1, start - limit)) if start > 1 else None,
    }


class SessionRankingApi(ReportsApi):
    """A window of a session's ranking by rank: the top X by default, any window by start and limit."""

    QuerySerializer = WindowQuery

    @extend_schema(
        operation_id="sessions_ranking",
        description="Ranks start .. start+limit-1 of the session's ranking (Score desc, Lives desc, Shots asc, "
        "Nickname asc), as of the moment read; limit defaults to the session's top X. The order changes "
        "while a session runs, so each window is read whole at one instant (`as_of`) and windows are asked "
        "for by rank, never by a cursor into a moving list. ETag / Last-Modified; 304 when unchanged." + ACCESS_NOTE,
        parameters=[SESSION_ID, WindowQuery],
        responses={200: RankingOutput, 304: None, **error_responses(400, 404)},
    )
    def get(self, request: Request, session_id: str) -> HttpResponse:
        query = self.query(request)
        session = session_found(session_id=session_id)
        start, limit = query["start"], query.get("limit") or session.top_x
        as_of = timezone.now()
        rows, count = ranking_window_counted(session=session, start=start, limit=limit)
        zone = timezone.get_current_timezone()
        data = {  # a RankingOutput, in its fields' order
            "session_id": session.session_id,
            "as_of": api_time(as_of),
            "count": count,
            "start": start,
            "limit": limit,
            **window_links(request, start=start, limit=limit, count=count, page=len(rows)),
            "results": [ranked_data(row, zone) for row in rows],
        }
        return conditional_response(request, data)


class SessionRankingExportApi(ReportsApi):
    @extend_schema(
        operation_id="sessions_ranking_export",
        description="The session's whole ranking as CSV, best first, streamed. Columns: "
        + ", ".join(RANKED_COLUMNS)
        + "."
        + ACCESS_NOTE,
        parameters=[SESSION_ID],
        responses={**CSV_RESPONSE, **error_responses(400, 404)},
    )
    def get(self, request: Request, session_id: str) -> StreamingHttpResponse:
        self.query(request)
        session = session_found(session_id=session_id)
        rows = ([getattr(row, column) for column in RANKED_COLUMNS] for row in ranking_rows(session=session))
        return csv_response(filename=f"ranking-{session.session_id}.csv", header=RANKED_COLUMNS, rows=rows)


class PositionQuery(serializers.Serializer):
    before = serializers.IntegerField(min_value=0, max_value=100, default=5, help_text="Players shown above.")
    after = serializers.IntegerField(min_value=0, max_value=100, default=5, help_text="Players shown below.")


class PositionOutput(serializers.Serializer):
    session_id = serializers.CharField()
    nickname = serializers.CharField()
    as_of = serializers.DateTimeField()
    rank = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Players ranked in the session.")
    percentile = serializers.FloatField(help_text="Share of players ranked at or below this player, 0..100.")
    around = RankedOutput(many=True, help_text="The players just above, the player, and those just below.")


class SessionPlayerPositionApi(ReportsApi):
    """A player's place in a session: rank, percentile and the players around them."""

    QuerySerializer = PositionQuery

    @extend_schema(
        operation_id="sessions_player_position",
        description="The player's rank, the session's player count, the percentile and the players around "
        "(before/after). ETag / Last-Modified; 304 when unchanged." + ACCESS_NOTE,
        parameters=[SESSION_ID, NICKNAME, PositionQuery],
        responses={200: PositionOutput, 304: None, **error_responses(400, 404)},
    )
    def get(self, request: Request, session_id: str, nickname: str) -> HttpResponse:
        query = self.query(request)
        session = session_found(session_id=session_id)
        as_of = timezone.now()
        before, after = query["before"], query["after"]
        found = ranking_position_around(session=session, nickname=nickname, before=before, after=after)
        if found is None:
            raise NotFound(f"{nickname!r} has no standing in {session.session_id}.", code="StandingNotFound")
        position, around = found
        zone = timezone.get_current_timezone()
        data = {  # a PositionOutput, in its fields' order
            "session_id": session.session_id,
            "nickname": nickname,
            "as_of": api_time(as_of),
            "rank": position.rank,
            "count": position.count,
            "percentile": position.percentile,
            "around": [ranked_data(row, zone) for row in around],
        }
        return conditional_response(request, data)
