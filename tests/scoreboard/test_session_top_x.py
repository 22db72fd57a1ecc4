"""A session's admin page shows its live top X, drawn from the standings the drain keeps."""

from __future__ import annotations

import pytest

from scoreboard.stream.persist import batch_persist
from sessions.services import session_open
from tests.factories import UserFactory, record
from tests.portal import portal_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_session_page_lists_the_top_x_in_ranking_order(fence) -> None:  # type: ignore[no-untyped-def]
    from alienportal.access import Role
    from sessions.models import GameType

    manager = UserFactory(username="mia-manager", roles=[Role.MANAGERS])
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, top_x=2, session_id="X261127T100000")
    batch_persist(
        fence=fence,
        records=[
            record(1, nickname="low", score=10),
            record(2, nickname="tie-more-shots", score=500, lives=2, shots=40),
            record(3, nickname="tie-fewer-shots", score=500, lives=2, shots=10),
        ],
    )

    page = portal_client(manager).get(f"/admin/game_sessions/gamesession/{session.pk}/change/").content.decode()

    assert "Standings are not available yet." not in page
    assert page.index("tie-fewer-shots") < page.index("tie-more-shots")
    assert "<td>low</td>" not in page  # top X = 2
