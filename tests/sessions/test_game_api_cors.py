"""The game runs in browsers on another origin: the game API answers CORS as API Gateway did."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

GAME_ORIGIN = "https://game.example.com"


def test_a_preflight_from_the_game_is_allowed_for_the_game_api() -> None:
    response = Client().options(
        "/v1/allocate",
        HTTP_ORIGIN=GAME_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_portal_pages_are_not_cross_origin() -> None:
    response = Client().get("/admin/", HTTP_ORIGIN=GAME_ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    api = Client().get("/api/auth/me/", HTTP_ORIGIN=GAME_ORIGIN)
    assert "Access-Control-Allow-Origin" not in api
