"""Reconciliation: a session's Redis rank index, its PostgreSQL standings and a replay of the archive, compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from scoreboard.archive.replay import ArchiveReplaySummary, ReplayScope, archive_records
from scoreboard.games import Game, PlayerGames, games_add
from scoreboard.models import ScoreEvent, SessionDiscards, Standing
from scoreboard.ranking import (
    LIVES_DIGITS,
    LIVES_MAX,
    SCORE_DIGITS,
    SCORE_MAX,
    rank_key,
    ranking_index_read,
    ranking_is_ready,
)
from scoreboard.stream.routing import StreamRecord, batch_route
from sessions.models import GameSession

Values = tuple[int, int, int, int]  # score, lives, shots, level
_SHOTS_DIGITS = 10  # rank_key's width for Shots


@dataclass(frozen=True)
class Difference:
    """One thing two of the three views disagree on (None: the view has nothing there)."""

    kind: str  # "standing", "index", "events", "discards"
    subject: str  # the player, or "" for a session-wide count
    postgresql: Any
    archive: Any
    redis: Any = None

    def describe(self) -> str:
        who = f" {self.subject}" if self.subject else ""
        parts = [f"postgresql={self.postgresql}", f"archive={self.archive}"]
        if self.kind == "index":
            parts = [f"postgresql={self.postgresql}", f"redis={self.redis}"]
        return f"{self.kind}{who}: " + " ".join(parts)


@dataclass
class Reconciliation:
    session_id: str
    checked_at: datetime
    players: int = 0
    archive_records: int = 0
    archive_objects: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary_line(self) -> str:
        """One line for the health dashboard."""
        if self.ok:
            return (
                f"{self.session_id}: Redis, PostgreSQL and the archive agree"
                f" ({self.players} players, {self.archive_records} archived records)"
            )
        return f"{self.session_id}: {len(self.differences)} difference(s); first: {self.differences[0].describe()}"


@dataclass
class _ArchiveView:
    standings: dict[str, PlayerGames] = field(default_factory=dict)
    events: int = 0
    discards: int = 0


def _archive_view(
    *, session: GameSession, s3: Any, bucket: str, prefix: str, summary: ArchiveReplaySummary
) -> _ArchiveView:
    """Replay the archive for the session in memory: what its standings and counts must be."""
    view = _ArchiveView()
    by_shard: dict[str, list[StreamRecord]] = {}
    for record in archive_records(
        s3=s3, bucket=bucket, prefix=prefix, scope=ReplayScope(session_id=session.session_id), summary=summary
    ):
        by_shard.setdefault(record.shard_id, []).append(StreamRecord(record.sequence_number, record.data))
    for shard_id, records in by_shard.items():
        # The drain's own routing (validation, closing time): read-only here.
        routed = batch_route(shard_id=shard_id, records=records)
        view.discards += routed.discarded.get(session.pk, 0)
        for item in routed.accepted:
            view.events += 1
            snapshot = item.snapshot
            game = Game(
                snapshot.score,
                snapshot.lives,
                snapshot.shots,
                snapshot.level,
                rank_key(score=snapshot.score, lives=snapshot.lives, shots=snapshot.shots, nickname=snapshot.nickname),
                (snapshot.timestamp, shard_id, item.sequence_number),
            )
            view.standings[snapshot.nickname] = games_add(view.standings.get(snapshot.nickname), game)
    return view


def session_reconcile(
    *, session: GameSession, s3: Any = None, bucket: str | None = None, prefix: str | None = None
) -> Reconciliation:
    """Compare the session's Redis index, PostgreSQL standings and counts, and a replay of the archive."""
    from alienportal.aws import aws_client

    result = Reconciliation(session_id=session.session_id, checked_at=timezone.now())
    summary = ArchiveReplaySummary()
    archive = _archive_view(
        session=session,
        s3=s3 or aws_client("s3"),
        bucket=bucket or settings.ARCHIVE_BUCKET,
        prefix=settings.ARCHIVE_PREFIX if prefix is None else prefix,
        summary=summary,
    )
    result.archive_records, result.archive_objects = summary.records - summary.out_of_scope, summary.objects
    rows = Standing.objects.filter(session=session).values_list(
        "nickname", "score", "lives", "shots", "level", "rank_key"
    )
    postgresql = {row[0]: (tuple(row[1:5]), row[5]) for row in rows}
    result.players = len(postgresql)
    differences = result.differences
    for nickname in sorted(set(postgresql) | set(archive.standings)):
        ours = postgresql.get(nickname)
        games = archive.standings.get(nickname)
        ranked = games.ranked if games else None
        theirs = ((ranked.score, ranked.lives, ranked.shots, ranked.level), ranked.rank_key) if ranked else None
        if (ours[0] if ours else None) != (theirs[0] if theirs else None):
            differences.append(
                Difference("standing", nickname, ours[0] if ours else None, theirs[0] if theirs else None)
            )
    index_players, index_keys = ranking_index_read(session_pk=session.pk)
    if postgresql and not ranking_is_ready(session_pk=session.pk):
        differences.append(Difference("index", "(whole session)", "built", None, redis="missing"))
    else:
        for nickname in sorted(set(postgresql) | set(index_players)):
            ours_key = postgresql[nickname][1] if nickname in postgresql else None
            if ours_key != index_players.get(nickname):
                differences.append(
                    Difference("index", nickname, _shown(ours_key), None, redis=_shown(index_players.get(nickname)))
                )
        stale = sorted(set(index_keys) - {key for _, key in postgresql.values()})
        for key in stale:
            differences.append(Difference("index", "(sorted set)", None, None, redis=_shown(key)))
    events = ScoreEvent.objects.filter(session=session).count()
    if events != archive.events:
        differences.append(Difference("events", "", events, archive.events))
    discards = SessionDiscards.objects.filter(session=session).values_list("after_closing", flat=True).first() or 0
    if discards != archive.discards:
        differences.append(Difference("discards", "", discards, archive.discards))
    return result


def _shown(key: str | None) -> str | None:
    """A rank key as a person reads it: score/lives/shots/nickname."""
    if key is None:
        return None
    lives_at = SCORE_DIGITS
    shots_at = lives_at + LIVES_DIGITS
    nickname_at = shots_at + _SHOTS_DIGITS
    score = SCORE_MAX - int(key[:lives_at])
    lives = LIVES_MAX - int(key[lives_at:shots_at])
    shots = int(key[shots_at:nickname_at])
    return f"score={score} lives={lives} shots={shots} nickname={key[nickname_at:]}"
