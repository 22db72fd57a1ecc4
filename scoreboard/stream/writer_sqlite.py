"""Write a routed batch's score events and standings on SQLite (the demo): one statement per player."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from scoreboard.games import Game, PlayerGames, games_add
from scoreboard.stream.routing import AcceptedRecord, RoutedBatch
from scoreboard.stream.standings_sql import EVENT_COLUMNS, STANDING_COLUMNS, STANDINGS_CONFLICT


def accepted_write_sqlite(
    routed: RoutedBatch, *, now: datetime, stream_created_at: datetime
) -> tuple[int, list[tuple]]:
    """The demo's SQLite: the same rows and the same merge of games, one statement per row.

    `stream_created_at` is the stream incarnation the records were read from (part of an event's identity).
    """
    adapt = connection.ops.adapt_datetimefield_value
    incarnation = adapt(stream_created_at)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO scoreboard_scoreevent ({EVENT_COLUMNS}, stream_created_at)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (stream_created_at, shard_id, sequence_number) DO NOTHING",
            [
                (
                    item.session.pk,
                    item.snapshot.nickname,
                    item.snapshot.score,
                    item.snapshot.lives,
                    item.snapshot.shots,
                    item.snapshot.level,
                    adapt(item.snapshot.timestamp),
                    routed.shard_id,
                    str(item.sequence_number),
                    incarnation,
                )
                for item in routed.accepted
            ],
        )
        events = len(routed.accepted)
        batch: dict[tuple[int, str], PlayerGames] = {}
        for item in routed.accepted:
            key = (item.session.pk, item.snapshot.nickname)
            batch[key] = games_add(batch.get(key), _game(item, shard_id=routed.shard_id))
        changed: list[tuple] = []
        values = ", ".join(["%s"] * len(STANDING_COLUMNS))
        for (session_pk, nickname), games in sorted(batch.items(), key=lambda pair: pair[0]):
            current, best, ranked = games.current, games.best, games.ranked
            cursor.execute(
                f"INSERT INTO scoreboard_standing AS s ({', '.join(STANDING_COLUMNS)})"  # noqa: S608
                f" VALUES ({values})" + STANDINGS_CONFLICT,
                [
                    session_pk,
                    nickname,
                    current.score,
                    current.lives,
                    current.shots,
                    current.level,
                    current.rank_key,
                    adapt(current.order[0]),
                    current.order[1],
                    str(current.order[2]),
                    *(
                        (best.score, best.shots, best.level, best.rank_key, adapt(best.order[0]), best.order[1])
                        if best
                        else (None,) * 6
                    ),
                    str(best.order[2]) if best else None,
                    ranked.score,
                    ranked.lives,
                    ranked.shots,
                    ranked.level,
                    ranked.rank_key,
                    1,
                    adapt(now),
                ],
            )
            changed.extend(tuple(row) for row in cursor.fetchall())
    return events, changed


def _game(item: AcceptedRecord, *, shard_id: str) -> Game:
    snapshot = item.snapshot
    return Game(
        snapshot.score,
        snapshot.lives,
        snapshot.shots,
        snapshot.level,
        item.row[-1],  # its rank key, built while routing
        (snapshot.timestamp, shard_id, item.sequence_number),
    )
