"""The ticket page tells the player's story, and its actions fix things (audited, on the ticket, reversible)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from alienportal.access import Role
from alienportal.models import AuditEntry
from scoreboard.models import DeadLetter
from scoreboard.ranking import ranking_rank
from scoreboard.selectors import ranking_player_rank
from scoreboard.stream.persist import batch_persist
from scoreboard.trail import Mark
from sessions.models import GameSession, GameType, Seat, SeatState
from sessions.services import SeatRefused, seat_allocate
from sessions.services.seats import _seat_state
from support.errors import Invalid, Refused
from support.models import MessageKind
from support.services import ticket_open
from support.services.actions import (
    ticket_dead_letters_replay,
    ticket_extra_game_grant,
    ticket_extra_game_revoke,
    ticket_seat_release,
)
from support.story import player_story
from tests.factories import GameSessionFactory, UserFactory, record
from tests.portal import portal_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk() -> User:
    return UserFactory(username="sam-support", roles=[Role.SUPPORT])


def test_the_story_shows_standings_trail_marks_seats_dead_letters_and_tickets(make_session, fence, desk) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    Seat.objects.create(session=session, nickname="ann", allocated_at=session.opening_time)
    batch_persist(
        fence=fence,
        records=[
            record(1, score=10, shots=2, seconds=0),
            record(2, score=20, shots=3, seconds=1),
            record(3, score=15, shots=3, seconds=2),  # score goes backwards
            record(4, score=25, shots=4, lives=2, seconds=90),  # a 88 s gap
            record(5, score=30, shots=5, lives=3, seconds=91),  # lives increase
            record(6, nickname="bob", score=500, seconds=3),
            record(7, session_id="XNOSUCH", score=1, seconds=4),  # dead letter naming ann
            record(8, session_id="XNOSUCH", nickname="bob", seconds=4),
        ],
    )
    old = ticket_open(actor=desk, nickname="ann", subject="earlier problem")
    ticket = ticket_open(actor=desk, nickname="ann", subject="score wrong", session=session)

    story = player_story(ticket=ticket)

    assert [(s.standing.session, s.standing.score, s.rank, s.players) for s in story.standings] == [(session, 30, 2, 2)]
    assert [point.point.score for point in story.trail] == [10, 20, 15, 25, 30]
    assert [point.marks for point in story.trail] == [(), (), (Mark.BACKWARDS,), (Mark.GAP,), (Mark.LIVES_UP,)]
    assert story.anomalies == 2
    assert [seat.state for seat in story.seats] == [SeatState.PLAYING]
    assert [letter.reason for letter in story.dead_letters] == ["unknown_session"]
    assert '"Nickname": "ann"' in story.dead_letters[0].data
    assert story.previous_tickets == [old]

    page = portal_client(desk).get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    assert 'id="player-story"' in page
    assert "2 anomalies" in page
    for shown in ("goes backwards", "lives increase", ">gap<", "Release seat", "earlier problem"):
        assert shown in page
    # The flags' evidence reads as statuses, not as a Python dict.
    assert (
        "<code>previous: Score 20 · Lives 3 · Shots 3 · Level 1 · 2026-11-27T10:00:01+00:00</code><br>"
        "<code>snapshot: Score 15 · Lives 3 · Shots 3 · Level 1 · 2026-11-27T10:00:02+00:00</code>"
    ) in page
    assert "{&#x27;" not in page


def _one_game_session() -> GameSession:
    from django.utils import timezone

    return GameSessionFactory(
        session_id="X261127T120000", game_type=GameType.SINGLE_TRIAL, opening_time=timezone.now() - timedelta(minutes=5)
    )


def test_releasing_a_stuck_seat_frees_it_and_is_told_on_the_ticket(desk) -> None:  # type: ignore[no-untyped-def]
    session = _one_game_session()
    seat_allocate(nickname="ann")
    ticket = ticket_open(actor=desk, nickname="ann", subject="stuck", category="STUCK_SEAT")

    with pytest.raises(Invalid):
        ticket_seat_release(actor=desk, ticket=ticket, session=session, reason=" ")
    ticket_seat_release(actor=desk, ticket=ticket, session=session, reason="game crashed")

    session.refresh_from_db()
    assert session.occupied_seats == 0
    assert Seat.objects.get(nickname="ann").state == SeatState.FINISHED
    assert AuditEntry.objects.filter(action="seat.release", actor=desk).count() == 1
    entry = AuditEntry.objects.get(action="ticket.seat_release")
    assert entry.after == {"nickname": "ann", "reason": "game crashed", "session": session.session_id}
    event = ticket.messages.get(kind=MessageKind.EVENT)
    assert event.body == f"Released ann's seat in {session.session_id}. Reason: game crashed"
    assert not ticket.messages.visible_to_player().exists()
    with pytest.raises(Refused):
        ticket_seat_release(actor=desk, ticket=ticket, session=session, reason="again")


def test_an_extra_game_lets_the_player_play_again_and_taking_it_back_restores_the_seat(desk) -> None:  # type: ignore[no-untyped-def]
    session = _one_game_session()
    seat_allocate(nickname="ann")
    ticket = ticket_open(actor=desk, nickname="ann", subject="crashed", category="CANNOT_PLAY")
    with pytest.raises(Refused):  # still playing
        ticket_extra_game_grant(actor=desk, ticket=ticket, session=session, reason="crash")
    ticket_seat_release(actor=desk, ticket=ticket, session=session, reason="crash")
    with pytest.raises(SeatRefused):
        seat_allocate(nickname="ann")
    before = _seat_state(Seat.objects.get(nickname="ann"))

    ticket_extra_game_grant(actor=desk, ticket=ticket, session=session, reason="crash")
    ticket_extra_game_revoke(actor=desk, ticket=ticket, session=session, reason="granted by mistake")
    assert _seat_state(Seat.objects.get(nickname="ann")) == before
    with pytest.raises(SeatRefused):
        seat_allocate(nickname="ann")

    ticket_extra_game_grant(actor=desk, ticket=ticket, session=session, reason="crash")
    assert seat_allocate(nickname="ann").changed
    assert Seat.objects.get(nickname="ann").state == SeatState.PLAYING
    ticket_seat_release(actor=desk, ticket=ticket, session=session, reason="done")
    with pytest.raises(Refused):  # the extra game is used: nothing to take back
        ticket_extra_game_revoke(actor=desk, ticket=ticket, session=session, reason="too late")
    actions = list(AuditEntry.objects.filter(action__startswith="seat.extra_game").values_list("action", flat=True))
    assert sorted(actions) == ["seat.extra_game_grant", "seat.extra_game_grant", "seat.extra_game_revoke"]


def test_replaying_the_players_dead_letters_brings_them_into_rankings_and_the_index(make_session, fence, desk) -> None:  # type: ignore[no-untyped-def]
    batch_persist(
        fence=fence,
        records=[
            record(1, session_id="XLATE", score=70),
            record(2, session_id="XLATE", nickname="bob", score=90),
            record(3, session_id="XLATE", score="lots"),  # still invalid after the fix
        ],
    )
    ticket = ticket_open(actor=desk, nickname="ann", subject="my score is missing")
    with pytest.raises(Refused):
        ticket_dead_letters_replay(actor=desk, ticket=ticket_open(actor=desk, nickname="cid", subject="x"), reason="x")
    # Before the cause is fixed (the session does not exist), nothing passes.
    assert ticket_dead_letters_replay(actor=desk, ticket=ticket, reason="too early") == (0, 2)
    session = make_session(session_id="XLATE")

    replayed, still = ticket_dead_letters_replay(actor=desk, ticket=ticket, reason="session created late")

    assert (replayed, still) == (1, 1)
    assert ranking_player_rank(session=session, nickname="ann") == 1
    assert ranking_rank(session_pk=session.pk, key=session_standing_key(session, "ann")) == 0
    assert ranking_player_rank(session=session, nickname="bob") is None  # bob's letter is not this ticket's
    assert DeadLetter.objects.filter(replayed_at__isnull=True).count() == 2
    told = list(ticket.messages.values_list("body", flat=True))
    assert told[-1] == "Replayed 1 of 2 dead letters (1 still refused: wrong_type: 1). Reason: session created late"
    assert AuditEntry.objects.filter(action="ticket.dead_letters_replay").latest("id").after["replayed"] == 1


def session_standing_key(session: GameSession, nickname: str) -> str:
    from scoreboard.models import Standing

    return Standing.objects.get(session=session, nickname=nickname).rank_key


@pytest.mark.parametrize("role", [Role.PLAYERS])
def test_outsiders_cannot_act(role: Role, desk) -> None:  # type: ignore[no-untyped-def]
    session = _one_game_session()
    seat_allocate(nickname="ann")
    ticket = ticket_open(actor=desk, nickname="ann", subject="stuck")
    client = portal_client(UserFactory(username="ann", roles=[role]))
    url = reverse("admin:support_ticket_act", args=[ticket.pk, "seat_release"])
    assert client.post(url, {"reason": "me", "session": session.pk}).status_code == 403
    assert Seat.objects.get(nickname="ann").state == SeatState.PLAYING


def test_support_releases_a_seat_from_the_ticket_page(desk) -> None:  # type: ignore[no-untyped-def]
    session = _one_game_session()
    seat_allocate(nickname="ann")
    ticket = ticket_open(actor=desk, nickname="ann", subject="stuck")
    client = portal_client(desk)
    url = reverse("admin:support_ticket_act", args=[ticket.pk, "seat_release"])
    assert "Choose the session" in client.post(url, {"reason": "crash"}, follow=True).content.decode()
    response = client.post(url, {"reason": "crash", "session": session.pk}, follow=True)
    assert "Seat released." in response.content.decode()
    assert Seat.objects.get(nickname="ann").state == SeatState.FINISHED
    assert client.post(reverse("admin:support_ticket_act", args=[ticket.pk, "nonsense"]), {}).status_code == 404
