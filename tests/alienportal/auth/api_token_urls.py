"""A URLconf with one probe endpoint per API (`token_api`) besides the portal's own routes."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.base import BaseApi
from alienportal.urls import urlpatterns as portal_urlpatterns


class _Probe(BaseApi):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"client": request.user.client_id, "token_use": request.auth["token_use"]})


class GameProbeApi(_Probe):
    token_api = "game"


class ReportsProbeApi(_Probe):
    token_api = "reports"


urlpatterns = [
    path("api/probe/game/", GameProbeApi.as_view()),
    path("api/probe/reports/", ReportsProbeApi.as_view()),
    *portal_urlpatterns,
]
