"""The API base answers every error with the one body, and the game's endpoints with the game's bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import Http404
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from alienportal.access import Capability, Role
from alienportal.api.base import BaseApi
from alienportal.api.game import GameApi
from alienportal.api.permissions import Can
from alienportal.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Refused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

factory = APIRequestFactory()


class ErrorProbeApi(BaseApi):
    """Raises the domain error the query names, or validates a body."""

    permission_classes = [AllowAny]
    errors: dict[str, DomainError] = {
        "invalid": Invalid("Minutes must be 1 to 30."),
        "not-found": NotFound("No such session.", code="SessionNotFound"),
        "refused": Refused("Session is closed."),
        "conflict": Conflict("Changed meanwhile."),
        "forbidden": Forbidden("Not yours."),
    }

    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1)

    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind == "http404":
            raise Http404("Nothing here.")
        raise self.errors[kind]

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class GameProbeApi(GameApi):
    def get(self, request: Request) -> Response:
        raise Refused("Session is closed.")


class ManagersOnlyApi(BaseApi):
    permission_classes = [IsAuthenticated & Can(Capability.RUN_SESSIONS)]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def _call(view: Any, method: str = "get", user: Any = None, **kwargs: Any) -> Any:
    request = getattr(factory, method)("/probe/", **kwargs)
    if user is not None:
        force_authenticate(request, user=user)
    response = view.as_view()(request)
    response.render()
    return response


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("invalid", 400, {"errorMessage": "Minutes must be 1 to 30.", "errorCode": "Invalid"}),
        ("not-found", 404, {"errorMessage": "No such session.", "errorCode": "SessionNotFound"}),
        ("refused", 422, {"errorMessage": "Session is closed.", "errorCode": "Refused"}),
        ("conflict", 409, {"errorMessage": "Changed meanwhile.", "errorCode": "Conflict"}),
        ("forbidden", 403, {"errorMessage": "Not yours.", "errorCode": "Forbidden"}),
        ("http404", 404, {"errorMessage": "Nothing here.", "errorCode": "NotFound"}),
    ],
)
def test_domain_errors_map_to_their_status_and_the_one_body(kind: str, status: int, body: dict[str, str]) -> None:
    response = _call(ErrorProbeApi, data={"kind": kind})
    assert (response.status_code, json.loads(response.content)) == (status, body)


def test_validation_errors_name_each_field() -> None:
    response = _call(ErrorProbeApi, "post", data={"count": 0}, format="json")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "errorMessage": "Invalid input.",
        "errorCode": "Invalid",
        "fields": {"count": ["Ensure this value is greater than or equal to 1."]},
    }


def test_unreadable_json_is_400_not_500() -> None:
    response = _call(ErrorProbeApi, "post", data="{not json", content_type="application/json")
    assert (response.status_code, json.loads(response.content)) == (
        400,
        {"errorMessage": "The request body is not valid JSON.", "errorCode": "ParseError"},
    )


def test_wrong_method_and_missing_capability_answer_the_one_body() -> None:
    response = _call(ErrorProbeApi, "delete")
    assert (response.status_code, json.loads(response.content)["errorCode"]) == (405, "MethodNotAllowed")
    support = UserFactory(username="sam")
    response = _call(ManagersOnlyApi, user=support)
    assert response.status_code == 403
    assert json.loads(response.content) == {
        "errorMessage": "You do not have permission to perform this action.",
        "errorCode": "Forbidden",
    }


def test_the_game_api_keeps_the_original_bodies_without_codes_of_its_own() -> None:
    player = UserFactory(username="pia", roles=[Role.PLAYERS])
    response = _call(GameProbeApi, user=player)
    assert (response.status_code, json.loads(response.content)) == (422, {"errorMessage": "Session is closed."})
    response = _call(GameProbeApi)
    assert response.status_code in (401, 403)
    assert set(json.loads(response.content)) == {"errorMessage"}
