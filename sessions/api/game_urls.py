"""Routes of the game-facing API (the original game's /v1 resources) served by this app."""

from django.urls import path

from sessions.api.game import SeatAllocateApi, SeatDeallocateApi, SessionCurrentApi, SessionWebSocketApi

urlpatterns = [
    path("session", SessionCurrentApi.as_view(), name="game-session-current"),
    path("allocate", SeatAllocateApi.as_view(), name="game-seat-allocate"),
    path("deallocate", SeatDeallocateApi.as_view(), name="game-seat-deallocate"),
    path("websocket", SessionWebSocketApi.as_view(), name="game-websocket"),
]
