"""A session's page shows the records that never became standings: discards after closing and dead letters."""

from __future__ import annotations

import pytest

from alienportal.access import Role
from scoreboard.models import DeadLetter, SessionDiscards
from scoreboard.selectors.discards import session_losses
from sessions.models import GameType
from sessions.services import session_close, session_open
from tests.factories import UserFactory
from tests.portal import portal_client

pytestmark = pytest.mark.django_db


def _letter(sequence: int, data: bytes, reason: str, session_id: str = "Lost") -> DeadLetter:
    return DeadLetter.objects.create(
        shard_id="shardId-000000000000",
        sequence_number=sequence,
        data=data,
        data_length=len(data),
        reason=reason,
        session_id=session_id,
    )


@pytest.fixture
def lossy_session():  # type: ignore[no-untyped-def]
    manager = UserFactory(username="mia-manager", roles=[Role.MANAGERS])
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS, session_id="Lost")
    session_close(manager=manager, session=session)
    SessionDiscards.objects.create(session=session, after_closing=361)
    for sequence in range(1, 8):
        _letter(sequence, b'{"SessionId": "Lost", "Nickname": "late-%d", "Score": 5}' % sequence, "future_timestamp")
    _letter(8, b'{"SessionId": "Lost", "Nickname": "<script>alert(1)</script>"}', "unknown_session")
    _letter(9, b"\x00\xff<b>raw</b>", "unknown_session")
    _letter(10, b'{"SessionId": "Other"}', "unknown_session", session_id="Other")
    return session


def test_the_selector_counts_by_reason_and_keeps_the_latest_five(lossy_session) -> None:  # type: ignore[no-untyped-def]
    losses = session_losses(session=lossy_session)
    assert losses.after_closing == 361
    assert losses.dead_letters == 9
    assert losses.by_reason == [("future_timestamp", 7), ("unknown_session", 2)]
    assert [example.nickname for example in losses.latest] == [
        None,
        "<script>alert(1)</script>",
        "late-7",
        "late-6",
        "late-5",
    ]
    assert losses.latest[0].preview == b"\x00\xff<b>raw</b>"


@pytest.mark.parametrize("role", [Role.MANAGERS, Role.SUPPORT])
def test_the_session_page_shows_them_with_a_link_to_every_dead_letter(lossy_session, role) -> None:  # type: ignore[no-untyped-def]
    viewer = UserFactory(username=f"viewer-{role.value.lower()}", roles=[role])
    page = portal_client(viewer).get(f"/admin/game_sessions/gamesession/{lossy_session.pk}/change/").content.decode()
    assert "Records not counted" in page
    assert '<strong id="discarded-after-closing">361</strong>' in page
    assert '<strong id="dead-letter-count">9</strong>' in page
    assert "<code>future_timestamp</code> 7, <code>unknown_session</code> 2" in page
    assert 'href="/admin/scoreboard/deadletter/?session_id__exact=Lost"' in page
    assert page.count("<tr>") >= 5
    # Hostile bytes from the stream are text, never markup.
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\x00\\xff&lt;b&gt;raw&lt;/b&gt;" in page
    assert "late-3" not in page  # only the latest five


def test_the_link_lists_this_session_s_dead_letters_only(lossy_session) -> None:  # type: ignore[no-untyped-def]
    manager = UserFactory(username="max-manager", roles=[Role.MANAGERS])
    page = portal_client(manager).get("/admin/scoreboard/deadletter/?session_id__exact=Lost").content.decode()
    assert page.count('class="field-reason"') == 9  # the session's nine, not the other session's
    assert "9 dead letters" in page


def test_a_session_with_nothing_lost_says_so() -> None:
    manager = UserFactory(username="mia-manager", roles=[Role.MANAGERS])
    session = session_open(manager=manager, game_type=GameType.MULTIPLE_TRIALS)
    page = portal_client(manager).get(f"/admin/game_sessions/gamesession/{session.pk}/change/").content.decode()
    assert "none discarded, no dead letters" in page
