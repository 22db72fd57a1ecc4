"""Routes of the game-facing API (the original game's /v1 resources) served by this app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
