"""Simulated games through the drain: honest players raise no flag, each injected cheat exactly one ticket."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from scoreboard.models import CheatFlag
from scoreboard.simulator import CHEAT_KINDS, CheatPlan, GameSimulator
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from support.models import Category, Ticket
from support.services.cheating import cheat_tickets_raise
from tests.factories import BASE_TIME

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _rules_on(settings) -> None:  # type: ignore[no-untyped-def]
    # On by default; set here so that a developer's CHEAT_RULES_ENABLED=false cannot skip these tests.
    settings.CHEAT_RULES_ENABLED = True


def _drain(simulator: GameSimulator, fence, count: int, batch: int = 250) -> None:  # type: ignore[no-untyped-def]
    records = [StreamRecord(sequence, data) for sequence, (_, data) in enumerate(simulator.records(count), start=1)]
    for start in range(0, len(records), batch):
        batch_persist(fence=fence, records=records[start : start + batch])


def _clock():  # type: ignore[no-untyped-def]
    ticks = itertools.count()
    return lambda: BASE_TIME + timedelta(milliseconds=40 * next(ticks))


@pytest.mark.parametrize("game_type", ["MULTIPLE_TRIALS", "SINGLE_TRIAL"])
def test_honest_simulated_games_raise_no_flag(make_session, fence, game_type: str) -> None:  # type: ignore[no-untyped-def]
    session = make_session(game_type=game_type)
    simulator = GameSimulator(session_id=session.session_id, players=25, game_type=game_type, seed=7, clock=_clock())
    _drain(simulator, fence, 4000)
    assert simulator.summary.games_finished > 10
    assert list(CheatFlag.objects.values_list("nickname", "rule")) == []
    assert cheat_tickets_raise() == []


def test_each_injected_cheat_raises_exactly_one_ticket_with_its_evidence(make_session, fence) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    plan = CheatPlan(**dict.fromkeys(CHEAT_KINDS, 1))
    simulator = GameSimulator(session_id=session.session_id, players=25, seed=11, cheats=plan, clock=_clock())
    _drain(simulator, fence, 3000)
    assert simulator.summary.cheats == dict.fromkeys(CHEAT_KINDS, 1)

    tickets = cheat_tickets_raise()

    assert len(tickets) == len(CHEAT_KINDS)
    by_player = {ticket.nickname: ticket for ticket in Ticket.objects.filter(category=Category.CHEATING_SUSPECTED)}
    assert set(by_player) == {f"cheat-{kind.replace('_', '-')}-{n:03d}" for n, kind in enumerate(CHEAT_KINDS)}
    for number, kind in enumerate(CHEAT_KINDS):
        ticket = by_player[f"cheat-{kind.replace('_', '-')}-{number:03d}"]
        flags = list(CheatFlag.objects.filter(nickname=ticket.nickname).values_list("rule", flat=True))
        assert flags == [kind], (ticket.nickname, flags)
        evidence = ticket.messages.get().body
        assert f"Cheat flag {kind}" in evidence
        assert '"snapshot"' in evidence
    assert not CheatFlag.objects.exclude(nickname__startswith="cheat-").exists()
    assert cheat_tickets_raise() == []
