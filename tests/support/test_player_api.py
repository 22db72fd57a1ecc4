"""Players open, list, read and answer their own tickets with their game token; nothing else is theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from support.models import MessageKind, Source, Status, Ticket
from support.services import ticket_note, ticket_open, ticket_reply, ticket_transition
from tests.tokens import GAME_CLIENT_ID, REPORTS_CLIENT_ID, claims_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_of(own_pool, test_key):  # type: ignore[no-untyped-def]
    """Return an API client carrying a game-client ID token of `username` in `groups`."""

    def client(username: str, groups: tuple[str, ...] = ("Players",), client_id: str = GAME_CLIENT_ID) -> APIClient:
        claims = claims_for(
            sub=f"sub-{username}",
            client_id=None,
            aud=client_id,
            token_use="id",
            scope=None,
            **{"cognito:username": username, "cognito:groups": list(groups)},
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {test_key.sign(claims)}")
        return api

    return client


def _post(api: APIClient, path: str, body: Any) -> Any:
    return api.post(path, body, format="json")


def test_a_player_opens_lists_reads_and_answers_their_ticket(token_of, agent: User) -> None:  # type: ignore[no-untyped-def]
    zoe = token_of("zoe")
    response = _post(
        zoe, "/v1/tickets", {"subject": "Lost my score", "description": "900 points", "category": "SCORE_DISPUTE"}
    )
    assert response.status_code == 201, response.content
    opened = response.json()
    ticket = Ticket.objects.get(pk=opened["id"])
    assert (ticket.nickname, ticket.source, ticket.status, ticket.opened_by) == (
        "zoe",
        Source.PLAYER,
        Status.NEW,
        "zoe",
    )
    assert opened["messages"] == []

    ticket_note(actor=agent, ticket=ticket, body="SECRET: looks like a cheater")
    ticket_reply(actor=agent, ticket=ticket, body="Could you tell us the time?", wait_on_player=True)

    listed = zoe.get("/v1/tickets").json()
    assert [(item["id"], item["status"]) for item in listed] == [(ticket.pk, "WAITING_ON_PLAYER")]

    detail = zoe.get(f"/v1/tickets/{ticket.pk}")
    assert detail.status_code == 200
    assert [(m["author"], m["body"]) for m in detail.json()["messages"]] == [("support", "Could you tell us the time?")]
    assert "SECRET" not in detail.content.decode()
    assert "Status:" not in detail.content.decode()  # desk events are internal too

    answered = _post(zoe, f"/v1/tickets/{ticket.pk}/replies", {"body": "About 10:00"})
    assert answered.status_code == 201
    assert answered.json()["status"] == "OPEN"
    assert [m["author"] for m in answered.json()["messages"]] == ["support", "player"]
    assert ticket.messages.filter(kind=MessageKind.PLAYER).get().author_name == "zoe"


def test_a_player_never_reaches_another_players_ticket(token_of, agent: User) -> None:  # type: ignore[no-untyped-def]
    max_ticket = ticket_open(actor=agent, nickname="max", subject="max's problem")
    ticket_reply(actor=agent, ticket=max_ticket, body="hello max")
    zoe = token_of("zoe")

    assert zoe.get("/v1/tickets").json() == []
    missing = zoe.get(f"/v1/tickets/{max_ticket.pk}")
    assert missing.status_code == 404
    assert missing.json() == {"errorMessage": "No such ticket.", "errorCode": "TicketNotFound"}
    assert _post(zoe, f"/v1/tickets/{max_ticket.pk}/replies", {"body": "hi"}).status_code == 404
    assert max_ticket.messages.filter(kind=MessageKind.PLAYER).count() == 0


@pytest.mark.parametrize(
    ("groups", "client_id", "expected"),
    [
        (("Support",), GAME_CLIENT_ID, 403),
        ((), GAME_CLIENT_ID, 403),
        (("Players",), REPORTS_CLIENT_ID, 401),  # a token of another app client opens no game API
    ],
)
def test_only_players_with_a_game_token_use_the_ticket_api(token_of, groups, client_id, expected) -> None:  # type: ignore[no-untyped-def]
    api = token_of("someone", groups, client_id)
    assert api.get("/v1/tickets").status_code == expected
    assert _post(api, "/v1/tickets", {"subject": "x"}).status_code == expected
    assert not Ticket.objects.exists()
    assert APIClient().get("/v1/tickets").status_code == 401


def test_a_manager_trying_the_game_reaches_only_tickets_about_themselves(token_of, agent: User) -> None:  # type: ignore[no-untyped-def]
    other = ticket_open(actor=agent, nickname="zoe", subject="zoe's")
    mia = token_of("mia", ("Managers",))
    assert mia.get("/v1/tickets").json() == []
    assert mia.get(f"/v1/tickets/{other.pk}").status_code == 404
    opened = _post(mia, "/v1/tickets", {"subject": "trying the game"})
    assert opened.status_code == 201
    assert Ticket.objects.get(pk=opened.json()["id"]).nickname == "mia"


def test_bad_input_is_a_400_with_the_field_never_a_500(token_of) -> None:  # type: ignore[no-untyped-def]
    zoe = token_of("zoe")
    for body in (
        {},
        {"subject": ""},
        {"subject": "x", "category": "CHEATING_SUSPECTED"},
        {"subject": "x", "sessionId": "NOPE"},
        {"subject": ["a"]},
    ):
        response = _post(zoe, "/v1/tickets", body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["errorCode"] == "Invalid"
        assert response.json()["fields"]
    assert zoe.post("/v1/tickets", "{not json", content_type="application/json").status_code == 400
    assert not Ticket.objects.exists()


def test_a_closed_ticket_refuses_the_players_message(token_of, agent: User) -> None:  # type: ignore[no-untyped-def]
    zoe = token_of("zoe")
    ticket = Ticket.objects.get(pk=_post(zoe, "/v1/tickets", {"subject": "x"}).json()["id"])
    for status in (Status.OPEN, Status.RESOLVED, Status.CLOSED):
        ticket = ticket_transition(actor=agent, ticket=ticket, to=status)
    refused = _post(zoe, f"/v1/tickets/{ticket.pk}/replies", {"body": "again"})
    assert refused.status_code == 422
    assert refused.json() == {"errorMessage": "The ticket is closed: open a new one.", "errorCode": "TicketClosed"}
