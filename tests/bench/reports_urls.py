"""The portal's URLs plus straightforward ORM versions of three reports endpoints (benchmark only).

Same base, authentication, permissions and output as the real endpoints; only the reads differ:
ORDER BY on the raw columns with OFFSET, COUNT for a rank, and a window function over every
standing for the leaderboard, as one would first write them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.urls import urlpatterns as portal_urlpatterns
from reports.api.base import ReportsApi
from reports.api.players import LeaderboardQuery
from reports.api.serializers import WindowQuery
from reports.api.sessions import PositionQuery, session_found
from scoreboard.models import Standing
from sessions.selectors import session_list

ORDER = ("-score", "-lives", "shots", "nickname")
COLUMNS = ("nickname", "score", "lives", "shots", "level", "event_time")


def _ranked(rows: Any, first: int) -> list[dict[str, Any]]:
    return [{"rank": first + index, **row} for index, row in enumerate(rows)]


class NaiveRankingApi(ReportsApi):
    QuerySerializer = WindowQuery

    def get(self, request: Request, session_id: str) -> Response:
        query = self.query(request)
        session = session_found(session_id=session_id)
        start, limit = query["start"], query.get("limit") or session.top_x
        standings = Standing.objects.filter(session=session)
        rows = standings.order_by(*ORDER).values(*COLUMNS)[start - 1 : start - 1 + limit]
        return Response({"count": standings.count(), "start": start, "results": _ranked(rows, start)})


class NaivePositionApi(ReportsApi):
    QuerySerializer = PositionQuery

    def get(self, request: Request, session_id: str, nickname: str) -> Response:
        query = self.query(request)
        session = session_found(session_id=session_id)
        standings = Standing.objects.filter(session=session)
        me = standings.get(nickname=nickname)
        ahead = standings.filter(
            Q(score__gt=me.score)
            | Q(score=me.score, lives__gt=me.lives)
            | Q(score=me.score, lives=me.lives, shots__lt=me.shots)
            | Q(score=me.score, lives=me.lives, shots=me.shots, nickname__lt=me.nickname)
        ).count()
        count = standings.count()
        first = max(0, ahead - query["before"])
        around = standings.order_by(*ORDER).values(*COLUMNS)[first : ahead + 1 + query["after"]]
        return Response(
            {
                "rank": ahead + 1,
                "count": count,
                "percentile": round(100.0 * (count - ahead) / count, 3),
                "around": _ranked(around, first + 1),
            }
        )


class NaiveLeaderboardApi(ReportsApi):
    QuerySerializer = LeaderboardQuery

    def get(self, request: Request) -> Response:
        query = self.query(request)
        start, limit = query.pop("start"), query.pop("limit", None) or 50
        best = (
            Standing.objects.filter(session__in=session_list(**query))
            .annotate(best=Window(RowNumber(), partition_by="nickname", order_by=(*ORDER, "session_id")))
            .filter(best=1)
            .annotate(session_code=F("session__session_id"))
            .order_by(*ORDER)
            .values(*COLUMNS, "session_code")[start - 1 : start - 1 + limit]
        )
        return Response({"start": start, "results": _ranked(best, start)})


urlpatterns = [
    *portal_urlpatterns,
    path("api/bench/naive/sessions/<str:session_id>/ranking/", NaiveRankingApi.as_view()),
    path("api/bench/naive/sessions/<str:session_id>/players/<path:nickname>/", NaivePositionApi.as_view()),
    path("api/bench/naive/leaderboard/", NaiveLeaderboardApi.as_view()),
]
