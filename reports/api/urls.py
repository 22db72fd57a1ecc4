"""Routes of the reports API, mounted at /api/v1/ (each list also as `export.csv`, with the same filters)."""

from django.urls import path

from reports.api import pipeline, players, sessions

app_name = "reports_api"

urlpatterns = [
    path("sessions/", sessions.SessionListApi.as_view(), name="sessions"),
    path("sessions/export.csv", sessions.SessionExportApi.as_view(), name="sessions-export"),
    path("sessions/compare/", sessions.SessionCompareApi.as_view(), name="sessions-compare"),
    path("sessions/<str:session_id>/", sessions.SessionDetailApi.as_view(), name="session"),
    path("sessions/<str:session_id>/ranking/", sessions.SessionRankingApi.as_view(), name="session-ranking"),
    path(
        "sessions/<str:session_id>/ranking/export.csv",
        sessions.SessionRankingExportApi.as_view(),
        name="session-ranking-export",
    ),
    path(
        "sessions/<str:session_id>/players/<path:nickname>/",
        sessions.SessionPlayerPositionApi.as_view(),
        name="session-player",
    ),
    path("players/", players.PlayerListApi.as_view(), name="players"),
    path("players/export.csv", players.PlayerExportApi.as_view(), name="players-export"),
    path("players/<path:nickname>/history/", players.PlayerHistoryApi.as_view(), name="player-history"),
    path(
        "players/<path:nickname>/history/export.csv",
        players.PlayerHistoryExportApi.as_view(),
        name="player-history-export",
    ),
    path("leaderboard/", players.LeaderboardApi.as_view(), name="leaderboard"),
    path("leaderboard/export.csv", players.LeaderboardExportApi.as_view(), name="leaderboard-export"),
    path("pipeline/shards/", pipeline.PipelineShardListApi.as_view(), name="pipeline-shards"),
    path("pipeline/shards/export.csv", pipeline.PipelineShardExportApi.as_view(), name="pipeline-shards-export"),
    path("pipeline/archive/", pipeline.PipelineArchiveApi.as_view(), name="pipeline-archive"),
    path("dead-letters/", pipeline.DeadLetterListApi.as_view(), name="dead-letters"),
    path("dead-letters/export.csv", pipeline.DeadLetterExportApi.as_view(), name="dead-letters-export"),
    path("dead-letters/counts/", pipeline.DeadLetterCountListApi.as_view(), name="dead-letter-counts"),
    path(
        "dead-letters/counts/export.csv", pipeline.DeadLetterCountExportApi.as_view(), name="dead-letter-counts-export"
    ),
    path("dead-letters/replay/", pipeline.DeadLetterReplayApi.as_view(), name="dead-letters-replay"),
]
