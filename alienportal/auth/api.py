"""The caller's own identity as the API sees it: for REST consumers checking their token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alienportal.access import roles_of
from alienportal.api.base import BaseApi
from alienportal.auth.tokens import token_client_id, token_scopes


class CallerDetailApi(BaseApi):
    """Who the portal takes the caller for: name, roles and (for tokens) client and scopes."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        client_id = serializers.CharField(allow_blank=True)
        token_use = serializers.CharField(allow_blank=True)
        scopes = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        claims = request.auth if isinstance(request.auth, dict) else {}
        data = {
            "username": request.user.get_username(),
            "roles": sorted(roles_of(request)),
            "client_id": token_client_id(claims),
            "token_use": str(claims.get("token_use") or ""),
            "scopes": sorted(token_scopes(claims)),
        }
        return Response(self.OutputSerializer(data).data)
