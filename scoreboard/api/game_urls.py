"""Routes of the game-facing API (the original game's /v1 resources) served by this app."""

from django.urls import URLPattern, path

from scoreboard.api.game import ScoreboardGetApi, StatusUpdateApi

urlpatterns: list[URLPattern] = [
    path("updatestatus", StatusUpdateApi.as_view(), name="game-updatestatus"),
    path("scoreboard", ScoreboardGetApi.as_view(), name="game-scoreboard"),
]
