"""The drain's cheat flags become one "cheating suspected" ticket per player; a dismissed flag stays quiet."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from alienportal.models import AuditEntry
from scoreboard.models import CheatFlag, CheatRules
from scoreboard.stream.persist import batch_persist
from support.errors import Refused
from support.models import Category, MessageKind, Source, Status, Ticket
from support.services.cheating import cheat_tickets_raise, ticket_flag_dismiss
from support.services.tickets import ticket_transition
from tests.factories import record
from tests.portal import portal_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _rules_on(settings) -> None:  # type: ignore[no-untyped-def]
    # On by default; set here so that a developer's CHEAT_RULES_ENABLED=false cannot skip these tests.
    settings.CHEAT_RULES_ENABLED = True


def _honest(sequence: int, seconds: float, **fields):  # type: ignore[no-untyped-def]
    return record(sequence, seconds=seconds, **fields)


def test_honest_snapshots_raise_no_flag(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    make_session()
    batch_persist(
        fence=fence,
        records=[
            record(1, score=0, shots=0, seconds=0),
            record(2, score=5, shots=1, seconds=1),
            record(3, score=10, shots=3, seconds=2),
        ],
    )
    batch_persist(fence=fence, records=[record(4, score=15, shots=4, lives=2, seconds=3)])
    assert not CheatFlag.objects.exists()
    assert cheat_tickets_raise() == []


def test_a_players_flags_become_one_ticket_with_the_evidence(make_session, fence, agent: User) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    batch_persist(
        fence=fence,
        records=[
            record(1, score=0, shots=0, lives=3, seconds=0),
            record(2, score=10, shots=2, lives=3, seconds=1),
            record(3, score=10, shots=2, lives=5, seconds=2),  # lives increase
            record(4, nickname="bob", score=5, shots=1, seconds=1),  # honest
        ],
    )
    # Across batches: the standing is the status before; then 40 shots in one second.
    batch_persist(fence=fence, records=[record(5, score=10, shots=42, lives=5, seconds=3)])
    batch_persist(fence=fence, records=[record(6, score=10, shots=42, lives=9, seconds=4)])  # lives up again
    flags = {flag.rule: flag for flag in CheatFlag.objects.filter(nickname="ann")}
    assert set(flags) == {"lives_up", "fire_rate"}
    assert flags["lives_up"].hits == 2
    assert flags["lives_up"].evidence["previous"]["Lives"] == 3
    assert flags["lives_up"].evidence["snapshot"]["Lives"] == 5
    assert flags["fire_rate"].evidence["shots"] == 40
    assert not CheatFlag.objects.filter(nickname="bob").exists()

    tickets = cheat_tickets_raise()
    assert len(tickets) == 1
    ticket = Ticket.objects.get()
    assert (ticket.nickname, ticket.session, ticket.category, ticket.source) == (
        "ann",
        session,
        Category.CHEATING_SUSPECTED,
        Source.PIPELINE,
    )
    evidence = list(ticket.messages.filter(kind=MessageKind.EVENT).values_list("body", flat=True))
    assert len(evidence) == 2
    assert any("lives_up" in body and '"Lives": 5' in body for body in evidence)
    assert not ticket.messages.visible_to_player().exists()
    assert cheat_tickets_raise() == []  # nothing new: no second ticket

    # A new rule for the same player joins the same open ticket.
    batch_persist(fence=fence, records=[record(7, score=13, shots=42, lives=9, seconds=5)])  # not 5 points a hit
    assert cheat_tickets_raise() == [ticket]
    assert Ticket.objects.count() == 1
    assert ticket.flags.count() == 3


def test_a_dismissed_flag_keeps_its_rule_quiet_for_that_player_and_session(make_session, fence, agent) -> None:  # type: ignore[no-untyped-def]
    make_session()
    lives_up = [
        record(1, lives=2, shots=0, score=0),
        record(2, lives=3, shots=0, score=0, seconds=1),
        record(3, nickname="bob", lives=2, shots=0, score=0),
        record(4, nickname="bob", lives=3, shots=0, score=0, seconds=1),
    ]
    batch_persist(fence=fence, records=lives_up)
    ann_ticket, bob_ticket = sorted(cheat_tickets_raise(), key=lambda t: t.nickname)
    ann_flag = CheatFlag.objects.get(nickname="ann")
    with pytest.raises(Refused):
        ticket_flag_dismiss(
            actor=agent, ticket=ann_ticket, flag_pk=CheatFlag.objects.get(nickname="bob").pk, reason="x"
        )

    ticket_flag_dismiss(actor=agent, ticket=ann_ticket, flag_pk=ann_flag.pk, reason="extra life in a test build")
    for ticket in (ann_ticket, bob_ticket):
        ticket_transition(actor=agent, ticket=ticket, to=Status.OPEN)
        ticket_transition(actor=agent, ticket=ticket, to=Status.RESOLVED)

    # The same rule fires again for both: only bob, whose flag was not dismissed, gets a new ticket.
    batch_persist(
        fence=fence,
        records=[
            record(5, lives=4, shots=0, score=0, seconds=2),
            record(6, nickname="bob", lives=4, shots=0, score=0, seconds=2),
        ],
    )
    raised = cheat_tickets_raise()
    assert [(t.nickname, t.status) for t in raised] == [("bob", Status.NEW)]
    assert raised[0] != bob_ticket
    ann_flag.refresh_from_db()
    assert ann_flag.dismissed_at is not None
    assert ann_flag.hits == 2
    assert AuditEntry.objects.filter(action="cheat_flag.dismiss").count() == 1
    with pytest.raises(Refused):
        ticket_flag_dismiss(actor=agent, ticket=ann_ticket, flag_pk=ann_flag.pk, reason="again")


def test_support_dismisses_a_flag_on_the_ticket_page(make_session, fence, agent) -> None:  # type: ignore[no-untyped-def]
    make_session()
    batch_persist(
        fence=fence, records=[record(1, lives=2, shots=0, score=0), record(2, lives=3, shots=0, score=0, seconds=1)]
    )
    ticket = cheat_tickets_raise()[0]
    flag = CheatFlag.objects.get()
    client = portal_client(agent)
    page = client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    assert 'id="story-flags"' in page
    assert "lives_up" in page
    assert "Dismiss (quiet" in page
    url = reverse("admin:support_ticket_dismiss_flag", args=[ticket.pk])
    response = client.post(url, {"flag": flag.pk, "reason": "known bug in build 1.2"}, follow=True)
    assert "Flag dismissed" in response.content.decode()
    flag.refresh_from_db()
    assert (flag.dismissed_by, flag.dismiss_reason) == ("sam-support", "known bug in build 1.2")


def test_only_managers_change_the_cheat_rules_and_the_drain_follows_them(make_session, fence, agent, manager) -> None:  # type: ignore[no-untyped-def]
    data = {
        "enabled": "",  # off
        "max_shots_per_second": "2",
        "fire_rate_slack_shots": "1",
        "points_per_hit": "5",
        "level_bonus": "50",
        "invaders_per_level": "50",
        "min_status_interval_ms": "10",
        "clock_skew_seconds": "5",
    }
    add = reverse("admin:scoreboard_cheatrules_add")
    assert portal_client(agent).post(add, data).status_code == 403
    assert portal_client(manager).post(add, data).status_code == 302
    make_session()
    batch_persist(
        fence=fence, records=[record(1, lives=2, shots=0, score=0), record(2, lives=3, shots=0, score=0, seconds=1)]
    )
    assert not CheatFlag.objects.exists()  # the rules are off

    CheatRules.objects.update(enabled=True)
    batch_persist(fence=fence, records=[record(3, lives=4, shots=0, score=0, seconds=2)])
    assert list(CheatFlag.objects.values_list("rule", flat=True)) == ["lives_up"]


def test_a_flag_and_its_ticket_keep_a_nickname_of_the_full_128_characters(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    """The game accepts nicknames of up to 128 characters; the flag and the ticket must not cut one."""
    make_session()
    nickname = "n" * 127 + "Z"
    batch_persist(
        fence=fence,
        records=[
            record(1, nickname=nickname, score=0, shots=0, lives=3, seconds=0),
            record(2, nickname=nickname, score=0, shots=0, lives=5, seconds=1),  # lives increase
        ],
    )
    assert CheatFlag.objects.get().nickname == nickname

    cheat_tickets_raise()
    assert Ticket.objects.get().nickname == nickname
