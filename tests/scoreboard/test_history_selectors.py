"""Session summaries, the historical leaderboard and player history equal a replay of the raw records.

The records go through the drain's own write path (batch_persist) shuffled, partly duplicated,
partly late, partly for sessions that do not exist yet and partly malformed; every figure is
then recomputed here from the records alone, without the standings tables.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alienportal.dates import js_time
from scoreboard.models import Standing
from scoreboard.selectors.dead_letters import dead_letter_counts, dead_letter_list
from scoreboard.selectors.history import (
    leaderboard_rows,
    leaderboard_window,
    player_history,
    player_positions,
    session_summaries,
    session_summary,
    sessions_compare,
)
from scoreboard.stream.persist import batch_persist
from scoreboard.stream.routing import StreamRecord
from sessions.models import GameSession, GameType
from sessions.selectors import session_list
from tests.factories import BASE_TIME, GameSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

NICKNAMES = [f"p{index:02d}" for index in range(24)] + ["=cmd", "Zed", "zed"]


@dataclass(frozen=True)
class Sent:
    sequence: int
    session_id: str
    nickname: str
    score: int
    lives: int
    shots: int
    level: int
    moment: datetime
    valid: bool = True


def _order(sent: Sent) -> tuple:
    """The ranking order of DESIGN.md: Score desc, Lives desc, Shots asc, Nickname asc."""
    return (-sent.score, -sent.lives, sent.shots, sent.nickname)


class Game:
    """Sessions, the records sent for them, and what the records alone say about them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sent: list[Sent] = []
        self.deliveries: list[StreamRecord] = []
        self.sequence = 0
        self.before_session: set[int] = set()  # records that named a session before it existed

    def session(self, session_id: str, *, opened: datetime, closed: datetime | None, game_type: str) -> GameSession:
        return GameSessionFactory(session_id=session_id, game_type=game_type, opening_time=opened, closing_time=closed)

    def play(self, session_id: str, start: datetime, *, players: list[str], late_after: datetime | None) -> None:
        """Each player plays one game: snapshots with growing score and shots, lives falling, maybe to 0."""
        for nickname in players:
            moment = start + timedelta(seconds=self.rng.randint(0, 30))
            score, lives, shots = 0, 3, 0
            for _ in range(self.rng.randint(1, 6)):
                moment += timedelta(milliseconds=self.rng.randint(300, 5000))
                score += 10 * self.rng.randint(0, 4)  # coarse, so scores tie and the tie-breaks matter
                shots += self.rng.randint(0, 3)
                if self.rng.random() < 0.25:
                    lives -= 1
                self._send(Sent(0, session_id, nickname, score, lives, shots, 1 + score // 50, moment))
                if lives == 0:
                    break
            if late_after is not None and self.rng.random() < 0.3:
                # Stamped after the closing time: discarded, whatever its score (level 0 marks it here).
                self._send(
                    Sent(0, session_id, nickname, score + 1000, lives, shots, 0, late_after + timedelta(seconds=5))
                )

    def _send(self, sent: Sent) -> None:
        self.sequence += 1
        sent = Sent(self.sequence, *[getattr(sent, name) for name in list(Sent.__dataclass_fields__)[1:]])
        self.sent.append(sent)
        body = {
            "SessionId": sent.session_id,
            "Nickname": sent.nickname,
            "Score": sent.score,
            "Lives": sent.lives,
            "Shots": sent.shots,
            "Level": sent.level,
            "Timestamp": js_time(sent.moment),
        }
        self.deliveries.append(StreamRecord(sent.sequence, json.dumps(body).encode()))

    def garbage(self, count: int) -> None:
        for _ in range(count):
            self.sequence += 1
            self.sent.append(Sent(self.sequence, "", "", 0, 0, 0, 0, BASE_TIME, valid=False))
            self.deliveries.append(StreamRecord(self.sequence, b"{not json"))

    def deliver(self, fence, *, duplicates: int) -> None:  # type: ignore[no-untyped-def]
        # Only records that become standings are re-delivered: how a re-delivered discard counts is
        # the drain's business (tests/scoreboard/test_persist.py), not the summary's.
        late = {item.sequence for item in self.sent if item.level == 0}
        accepted_ones = [
            item for item in self.deliveries if item.data.startswith(b'{"') and item.sequence_number not in late
        ]
        batch = self.deliveries + self.rng.sample(accepted_ones, duplicates)
        self.rng.shuffle(batch)
        for start in range(0, len(batch), 37):
            batch_persist(fence=fence, records=batch[start : start + 37])
        self.deliveries = []


def _expected_standings(game: Game, sessions: dict[str, GameSession]) -> dict[tuple[str, str], Sent]:
    """Each player's place per session, from the records: the better of the latest and the best finished."""
    latest: dict[tuple[str, str], Sent] = {}
    best_finished: dict[tuple[str, str], Sent] = {}
    for item in _accepted(game.sent, sessions, game.before_session):
        key = (item.session_id, item.nickname)
        if key not in latest or (item.moment, item.sequence) > (latest[key].moment, latest[key].sequence):
            latest[key] = item
        if item.lives == 0 and (key not in best_finished or _order(item) < _order(best_finished[key])):
            best_finished[key] = item
    return {
        key: min([current, best_finished[key]], key=_order) if key in best_finished else current
        for key, current in latest.items()
    }


def _accepted(sent: list[Sent], sessions: dict[str, GameSession], before_session: set[int]) -> list[Sent]:
    accepted = []
    for item in sent:
        session = sessions.get(item.session_id)
        if not item.valid or session is None or item.sequence in before_session:
            continue
        if session.closing_time is not None and item.moment > session.closing_time:
            continue
        accepted.append(item)
    return accepted


@pytest.fixture
def game(fence) -> tuple[Game, dict[str, GameSession]]:  # type: ignore[no-untyped-def]
    game = Game(seed=20261127)
    day = timedelta(days=1)
    old = game.session(
        "X261126T100000",
        opened=BASE_TIME - day,
        closed=BASE_TIME - day + timedelta(minutes=10),
        game_type=GameType.SINGLE_TRIAL,
    )
    first = game.session(
        "X261127T090000",
        opened=BASE_TIME - timedelta(hours=1),
        closed=BASE_TIME - timedelta(minutes=50),
        game_type=GameType.MULTIPLE_TRIALS,
    )
    second = game.session(
        "X261127T095500",
        opened=BASE_TIME - timedelta(minutes=5),
        closed=BASE_TIME + timedelta(minutes=4),
        game_type=GameType.SINGLE_TRIAL,
    )
    game.play(old.session_id, old.opening_time, players=NICKNAMES[:10], late_after=old.closing_time)
    game.play(first.session_id, first.opening_time, players=NICKNAMES[5:20], late_after=first.closing_time)
    game.play(second.session_id, second.opening_time, players=NICKNAMES[12:], late_after=None)
    # Records for a session that does not exist yet: dead letters naming it, until it opens.
    first_unknown = game.sequence + 1
    game.play("X261127T100500", BASE_TIME, players=NICKNAMES[:3], late_after=None)
    game.before_session = set(range(first_unknown, game.sequence + 1))
    game.garbage(4)
    game.deliver(fence, duplicates=15)
    later = game.session(
        "X261127T100500", opened=BASE_TIME + timedelta(minutes=5), closed=None, game_type=GameType.MULTIPLE_TRIALS
    )
    sessions = {session.session_id: session for session in (old, first, second, later)}
    # The same player with the same game in two sessions: the older session holds the entry.
    game.play(later.session_id, later.opening_time, players=["tie"], late_after=None)
    shift = later.opening_time - second.opening_time
    for item in [item for item in game.sent if item.nickname == "tie"]:
        game._send(
            Sent(0, second.session_id, "tie", item.score, item.lives, item.shots, item.level, item.moment - shift)
        )
    game.deliver(fence, duplicates=0)
    return game, sessions


def test_session_summary_equals_the_records(game) -> None:  # type: ignore[no-untyped-def]
    game_, sessions = game
    as_of = timezone.now()
    standings = _expected_standings(game_, sessions)
    accepted = _accepted(game_.sent, sessions, game_.before_session)

    for session in sessions.values():
        summary = session_summary(session=session, as_of=as_of)
        places = [place for (session_id, _), place in standings.items() if session_id == session.session_id]
        leader = min(places, key=_order)
        late = [
            item
            for item in game_.sent
            if item.valid
            and item.session_id == session.session_id
            and session.closing_time is not None
            and item.moment > session.closing_time
        ]
        dead = {
            item.sequence
            for item in game_.sent
            if item.sequence in game_.before_session and item.session_id == session.session_id
        }
        end = session.closing_time or as_of
        assert summary.players == len(places)
        assert summary.records == len({item.sequence for item in accepted if item.session_id == session.session_id})
        assert summary.discards == len(late)
        assert summary.dead_letters == len(dead)
        assert (summary.top_score, summary.leader) == (leader.score, leader.nickname)
        assert summary.duration_seconds == pytest.approx((end - session.opening_time).total_seconds())
        assert (summary.session_id, summary.game_type) == (session.session_id, session.game_type)
    assert sum(s.discards for s in session_summaries(sessions=GameSession.objects.all(), as_of=as_of)) > 0


def test_sessions_compare_keeps_the_order_asked_and_leaves_out_unknown_ids(game) -> None:  # type: ignore[no-untyped-def]
    _, sessions = game
    asked = ["X261127T095500", "no-such-session", "X261126T100000", "X261127T095500"]
    compared = sessions_compare(session_ids=asked, as_of=timezone.now())
    assert [summary.session_id for summary in compared] == ["X261127T095500", "X261126T100000"]
    assert compared[0].players == Standing.objects.filter(session=sessions["X261127T095500"]).count()


def _expected_leaderboard(game_: Game, sessions: dict[str, GameSession], chosen: set[str]) -> list[tuple]:
    best: dict[str, tuple] = {}
    for (session_id, nickname), place in _expected_standings(game_, sessions).items():
        if session_id not in chosen:
            continue
        candidate = (_order(place), sessions[session_id].pk, place)
        if nickname not in best or candidate[:2] < best[nickname][:2]:
            best[nickname] = candidate
    ranked = sorted(best.values(), key=lambda entry: entry[:2])
    return [
        (rank, place.nickname, place.score, place.lives, place.shots, place.session_id)
        for rank, (_, _, place) in enumerate(ranked, start=1)
    ]


def _entries(entries) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(e.rank, e.nickname, e.score, e.lives, e.shots, e.session_id) for e in entries]


def test_historical_leaderboard_is_each_players_best_in_the_ranking_order(game) -> None:  # type: ignore[no-untyped-def]
    game_, sessions = game
    opened_from = BASE_TIME - timedelta(hours=2)
    chosen = {session_id for session_id, s in sessions.items() if s.opening_time >= opened_from}
    expected = _expected_leaderboard(game_, sessions, chosen)
    assert len(expected) > 20
    assert "tie" in {entry[1] for entry in expected}
    assert next(entry for entry in expected if entry[1] == "tie")[5] == "X261127T095500"  # the older session

    assert _entries(leaderboard_rows(opened_from=opened_from)) == expected
    assert _entries(leaderboard_window(opened_from=opened_from, start=1, limit=len(expected) + 5)) == expected
    for start, limit in [(1, 1), (1, 10), (4, 7), (len(expected), 3), (len(expected) + 1, 5)]:
        window = leaderboard_window(opened_from=opened_from, start=start, limit=limit)
        assert _entries(window) == expected[start - 1 : start - 1 + limit]

    everything = _expected_leaderboard(game_, sessions, set(sessions))
    assert _entries(leaderboard_window(start=1, limit=100)) == everything
    one = _expected_leaderboard(game_, sessions, {"X261127T090000"})
    only_multiple = leaderboard_window(opened_from=opened_from, game_type=GameType.MULTIPLE_TRIALS, start=1, limit=100)
    both = _expected_leaderboard(game_, sessions, {"X261127T090000", "X261127T100500"})
    assert _entries(only_multiple) == both != one
    assert leaderboard_window(opened_from=BASE_TIME + timedelta(days=1), start=1, limit=10) == []


def test_player_history_lists_each_session_newest_first_with_the_players_place(game) -> None:  # type: ignore[no-untyped-def]
    game_, sessions = game
    standings = _expected_standings(game_, sessions)
    nickname = NICKNAMES[15]  # plays in the first and second sessions, not in the old one
    history = list(player_history(nickname=nickname))
    expected = sorted(
        (sessions[session_id] for (session_id, name) in standings if name == nickname), key=lambda s: -s.pk
    )
    assert [standing.session.session_id for standing in history] == [s.session_id for s in expected]
    for standing in history:
        place = standings[(standing.session.session_id, nickname)]
        assert (standing.score, standing.lives, standing.shots) == (place.score, place.lives, place.shots)

    positions = player_positions(standings=history)
    for standing in history:
        places = sorted(
            (p for (session_id, _), p in standings.items() if session_id == standing.session.session_id), key=_order
        )
        rank = 1 + [p.nickname for p in places].index(nickname)
        position = positions[standing.session_id]
        assert position is not None
        assert (position.rank, position.count) == (rank, len(places))
        assert position.percentile == pytest.approx(100.0 * (len(places) - rank + 1) / len(places), abs=0.001)

    assert [
        s.session.session_id for s in player_history(nickname=nickname, opened_to=BASE_TIME - timedelta(minutes=30))
    ] == ["X261127T090000"]
    assert list(player_history(nickname="nobody")) == []


def test_dead_letter_counts_by_reason_equal_the_records(game) -> None:  # type: ignore[no-untyped-def]
    game_, _ = game
    unknown = game_.before_session
    garbage = {item.sequence for item in game_.sent if not item.valid}
    counts = {count.reason: (count.total, count.waiting) for count in dead_letter_counts()}
    assert counts == {"unknown_session": (len(unknown), len(unknown)), "invalid_json": (len(garbage), len(garbage))}
    assert dead_letter_list(reason="unknown_session", session_id="X261127T100500").count() == len(unknown)
    assert dead_letter_list(replayed=True).count() == 0
    assert list(dead_letter_list().values_list("pk", flat=True)) == sorted(
        dead_letter_list().values_list("pk", flat=True)
    )


def test_session_list_filters_on_state_game_type_and_opening_time(game) -> None:  # type: ignore[no-untyped-def]
    ids = lambda qs: sorted(qs.values_list("session_id", flat=True))  # noqa: E731
    assert ids(session_list(state="open")) == ["X261127T100500"]
    assert ids(session_list(state="closed")) == ["X261126T100000", "X261127T090000", "X261127T095500"]
    assert ids(session_list(game_type=GameType.SINGLE_TRIAL)) == ["X261126T100000", "X261127T095500"]
    assert ids(session_list(opened_from=BASE_TIME - timedelta(hours=1), opened_to=BASE_TIME)) == [
        "X261127T090000",
        "X261127T095500",
    ]
    with pytest.raises(ValueError, match="unknown session state"):
        session_list(state="ajar")
