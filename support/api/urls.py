"""Routes of the players' ticket API, mounted under the game API's /v1/."""

from django.urls import path

from support.api.players import PlayerTicketDetailApi, PlayerTicketListApi, PlayerTicketReplyApi

urlpatterns = [
    path("tickets", PlayerTicketListApi.as_view(), name="player-tickets"),
    path("tickets/<int:pk>", PlayerTicketDetailApi.as_view(), name="player-ticket"),
    path("tickets/<int:pk>/replies", PlayerTicketReplyApi.as_view(), name="player-ticket-replies"),
]
