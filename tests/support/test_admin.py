"""The desk in the admin: support and managers work tickets; only managers change SLA targets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from alienportal.access import Role
from alienportal.models import AuditEntry
from support.models import CannedReply, MessageKind, Priority, SlaPolicy, Status, Ticket
from support.services import ticket_note, ticket_reply
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = pytest.mark.django_db


def _change(ticket: Ticket) -> str:
    return reverse("admin:support_ticket_change", args=[ticket.pk])


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.MANAGERS])
def test_the_desk_opens_a_ticket_from_the_admin(role: Role) -> None:
    user = UserFactory(username="desk", roles=[role])
    client = portal_client(user)
    response = client.post(
        reverse("admin:support_ticket_add"),
        {
            "nickname": "zoe",
            "subject": "Seat stuck",
            "description": "It says keep playing",
            "category": "STUCK_SEAT",
            "priority": "URGENT",
            "session": "",
            "assignee": str(user.pk),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    ticket = Ticket.objects.get()
    assert (ticket.nickname, ticket.priority, ticket.status, ticket.assignee) == ("zoe", "URGENT", "NEW", user)
    assert AuditEntry.objects.filter(action="ticket.open", target_id=str(ticket.pk)).exists()


def test_support_replies_notes_and_moves_a_ticket_through_the_page(agent: User, ticket: Ticket) -> None:
    client = portal_client(agent)
    url = reverse("admin:support_ticket_reply", args=[ticket.pk])
    assert client.post(url, {"body": "Sorry zoe, checking", "wait_on_player": "on"}).status_code == 302
    client.post(reverse("admin:support_ticket_note", args=[ticket.pk]), {"body": "DB shows 900"})
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_PLAYER

    response = client.post(reverse("admin:support_ticket_transition", args=[ticket.pk]), {"to": "CLOSED"}, follow=True)
    assert "cannot become closed" in response.content.decode()
    client.post(reverse("admin:support_ticket_transition", args=[ticket.pk]), {"to": "RESOLVED", "reason": "fixed"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    page = client.get(_change(ticket)).content.decode()
    # Replies and internal notes are told apart on screen, unmistakably.
    reply_at = page.index("Sorry zoe, checking")
    note_at = page.index("DB shows 900")
    reply_box = page[page.rindex('<div class="msg ', 0, reply_at) : reply_at]
    note_box = page[page.rindex('<div class="msg ', 0, note_at) : note_at]
    assert 'class="msg msg-reply"' in reply_box
    assert "Reply to the player" in reply_box
    assert 'class="msg msg-note"' in note_box
    assert "Internal note — never shown to the player" in note_box
    assert "Reopen" in page


def test_an_empty_reply_is_refused_with_a_message(agent: User, ticket: Ticket) -> None:
    client = portal_client(agent)
    response = client.post(reverse("admin:support_ticket_reply", args=[ticket.pk]), {"body": ""}, follow=True)
    assert response.status_code == 200
    assert "Nothing done." in response.content.decode()
    assert ticket.messages.count() == 0


def test_a_canned_reply_fills_the_reply_box(agent: User, ticket: Ticket) -> None:
    canned = CannedReply.objects.create(title="hello", body="Hello {nickname}, about {subject}")
    page = portal_client(agent).get(_change(ticket) + f"?canned={canned.pk}").content.decode()
    assert "Hello zoe, about My score vanished</textarea>" in page


def test_the_list_shows_saved_views_summary_and_sla_colours(agent: User, ticket: Ticket) -> None:
    client = portal_client(agent)
    page = client.get(reverse("admin:support_ticket_changelist")).content.decode()
    assert 'id="desk-summary"' in page
    assert "My open tickets" in page
    assert "Breaching" in page
    assert "sla-on-time" in page
    breaching = client.get(reverse("admin:support_ticket_changelist") + "?view=breaching").content.decode()
    assert "My score vanished" not in breaching
    unassigned = client.get(reverse("admin:support_ticket_changelist") + "?view=unassigned").content.decode()
    assert "My score vanished" in unassigned


@pytest.mark.parametrize("role", [Role.PLAYERS, None])
def test_players_and_people_without_a_role_cannot_reach_tickets(role: Role | None, ticket: Ticket) -> None:
    user = UserFactory(username="outsider", roles=[role] if role else [])
    client = portal_client(user)
    assert client.get(_change(ticket)).status_code == 403
    assert client.post(reverse("admin:support_ticket_reply", args=[ticket.pk]), {"body": "x"}).status_code == 403
    assert ticket.messages.count() == 0


def test_only_managers_change_sla_targets_and_canned_replies(agent: User, manager: User) -> None:
    data = {"priority": Priority.HIGH, "first_response_minutes": "15", "resolution_minutes": "60"}
    assert portal_client(agent).post(reverse("admin:support_slapolicy_add"), data).status_code == 403
    assert not SlaPolicy.objects.exists()
    assert portal_client(manager).post(reverse("admin:support_slapolicy_add"), data).status_code == 302
    assert SlaPolicy.objects.get().first_response_minutes == 15

    canned = {"title": "hi", "body": "Hi {nickname}"}
    assert portal_client(agent).post(reverse("admin:support_cannedreply_add"), canned).status_code == 403
    bad = portal_client(manager).post(reverse("admin:support_cannedreply_add"), {"title": "x", "body": "{oops}"})
    assert bad.status_code == 200
    assert "Unknown placeholder" in bad.content.decode()
    assert portal_client(manager).post(reverse("admin:support_cannedreply_add"), canned).status_code == 302


def test_nobody_deletes_a_ticket(manager: User, ticket: Ticket) -> None:
    response = portal_client(manager).post(reverse("admin:support_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_the_thread_helper_kinds(agent: User, ticket: Ticket) -> None:
    ticket_reply(actor=agent, ticket=ticket, body="a")
    ticket_note(actor=agent, ticket=ticket, body="b")
    assert list(ticket.messages.values_list("kind", flat=True)) == [MessageKind.REPLY, MessageKind.NOTE]
