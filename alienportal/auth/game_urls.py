"""Routes of the game-facing API (the original game's /v1 resources) served by the portal itself."""

from django.urls import path

from alienportal.auth.game_config import GameConfigApi

urlpatterns = [
    path("config", GameConfigApi.as_view(), name="game-config"),
]
