"""Hiding a standing takes it out of rankings, the Redis index and reports; showing it restores them exactly."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alienportal.errors import Refused
from alienportal.models import AuditEntry
from scoreboard.models import Standing
from scoreboard.ranking import _keys, ranking_rank, ranking_rebuild, redis_client
from scoreboard.selectors import ranking_around, ranking_count, ranking_player_rank, ranking_top
from scoreboard.selectors.history import leaderboard_queryset, session_summaries
from scoreboard.stream.persist import batch_persist
from sessions.models import GameSession
from support.models import MessageKind
from support.services import ticket_open
from support.services.actions import ticket_standing_hide, ticket_standing_show
from tests.factories import BASE_TIME, record

pytestmark = pytest.mark.django_db(transaction=True)


def _picture(session: GameSession) -> dict:  # type: ignore[type-arg]
    """Everything a ranking reader sees of the session."""
    zset = redis_client().zrange(_keys(session.pk)[0], 0, -1)
    return {
        "top": [(r.rank, r.nickname, r.score) for r in ranking_top(session=session, limit=10)],
        "count": ranking_count(session=session),
        "ranks": {name: ranking_player_rank(session=session, nickname=name) for name in ("ann", "bob", "cid")},
        "index": zset,
        "around_cid": [r.nickname for r in ranking_around(session=session, nickname="cid")],
        "leaderboard": [s.nickname for s in leaderboard_queryset()],
        "summary": [
            (s.players, s.leader, s.top_score)
            for s in session_summaries(sessions=GameSession.objects.all(), as_of=BASE_TIME)
        ],
    }


def test_hiding_and_showing_a_standing(make_session, fence, agent: User) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    batch_persist(
        fence=fence,
        records=[
            record(1, nickname="ann", score=900, shots=900),
            record(2, nickname="bob", score=500, shots=500),
            record(3, nickname="cid", score=100, shots=100),
        ],
    )
    before = _picture(session)
    assert before["top"] == [(1, "ann", 900), (2, "bob", 500), (3, "cid", 100)]
    ticket = ticket_open(actor=agent, nickname="ann", subject="suspicious score", session=session)

    ticket_standing_hide(actor=agent, ticket=ticket, session=session, reason="score from a modified client")

    hidden = _picture(session)
    assert hidden["top"] == [(1, "bob", 500), (2, "cid", 100)]
    assert hidden["count"] == 2
    assert hidden["ranks"] == {"ann": None, "bob": 1, "cid": 2}
    assert len(hidden["index"]) == 2
    assert ranking_rank(session_pk=session.pk, key=Standing.objects.get(nickname="ann").rank_key) is None
    assert hidden["around_cid"] == ["bob", "cid"]
    assert "ann" not in hidden["leaderboard"]
    assert hidden["summary"] == [(2, "bob", 500)]
    assert Standing.objects.filter(nickname="ann").exists()  # the data stays
    with pytest.raises(Refused):
        ticket_standing_hide(actor=agent, ticket=ticket, session=session, reason="again")

    # A new snapshot of the hidden player moves their standing but not the rankings or the index.
    batch_persist(fence=fence, records=[record(4, nickname="ann", score=950, shots=950, seconds=5)])
    assert Standing.objects.get(nickname="ann").score == 950
    assert _picture(session)["index"] == hidden["index"]
    assert ranking_player_rank(session=session, nickname="ann") is None
    # A rebuilt index (e.g. after a Redis loss) keeps them out too.
    redis_client().delete(*_keys(session.pk))
    ranking_rebuild(session_pk=session.pk)
    assert len(_picture(session)["index"]) == 2

    ticket_standing_show(actor=agent, ticket=ticket, session=session, reason="client was fine after all")

    shown = _picture(session)
    assert shown["top"] == [(1, "ann", 950), (2, "bob", 500), (3, "cid", 100)]
    # As before, but with ann's newer snapshot (950) that arrived while hidden.
    assert {k: v for k, v in shown.items() if k not in ("top", "index", "summary")} == {
        k: v for k, v in before.items() if k not in ("top", "index", "summary")
    }
    assert shown["summary"] == [(3, "ann", 950)]
    assert len(shown["index"]) == 3
    assert ranking_rank(session_pk=session.pk, key=Standing.objects.get(nickname="ann").rank_key) == 0

    actions = list(
        AuditEntry.objects.filter(action__startswith="standing.")
        .order_by("id")
        .values_list("action", "before", "after")
    )
    assert [a for a, _, _ in actions] == ["standing.hide", "standing.show"]
    assert actions[0][1]["hidden"] is False
    assert actions[0][2]["hidden"] is True
    assert actions[0][2]["reason"] == "score from a modified client"
    events = list(ticket.messages.filter(kind=MessageKind.EVENT).values_list("body", flat=True))
    assert events[0].startswith(f"Hid ann's standing in {session.session_id} from the rankings.")
    assert events[1].startswith(f"Showed ann's standing in {session.session_id} in the rankings.")


def test_hiding_then_showing_restores_the_exact_previous_state(make_session, fence, agent: User) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    batch_persist(fence=fence, records=[record(i, nickname=f"p{i}", score=10 * i, shots=10 * i) for i in range(1, 8)])
    ticket = ticket_open(actor=agent, nickname="p4", subject="x", session=session)
    before = (_picture(session), list(Standing.objects.order_by("pk").values()))
    ticket_standing_hide(actor=agent, ticket=ticket, session=session, reason="check")
    ticket_standing_show(actor=agent, ticket=ticket, session=session, reason="checked")
    after = (_picture(session), list(Standing.objects.order_by("pk").values()))
    strip = lambda rows: [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]  # noqa: E731
    assert after[0] == before[0]
    assert strip(after[1]) == strip(before[1])
