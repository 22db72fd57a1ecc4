"""A URLconf with probe endpoints (scope-protected, public) besides the portal's own routes.

The reports API that really needs `reports/read` is built elsewhere; this probe lets the token
tests check HasScope on its own.
"""

from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.api.base import BaseApi
from alienportal.api.permissions import HasReportsReadScope
from alienportal.urls import urlpatterns as portal_urlpatterns


class ReportProbeApi(BaseApi):
    permission_classes = [IsAuthenticated & HasReportsReadScope]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class PublicProbeApi(BaseApi):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/probe/", ReportProbeApi.as_view()),
    path("api/public-probe/", PublicProbeApi.as_view()),
    *portal_urlpatterns,
]
