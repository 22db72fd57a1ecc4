"""Decode, validate and route every record of a GetRecords batch: a score event, a discard or a dead letter.

Pure work on the batch (one query for the sessions it names), no writes: BatchPipeline runs it on
a helper thread while the previous batch commits (consumer.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from alienportal.dates import js_time
from scoreboard.ranking import rank_key
from scoreboard.stream.flags import BatchScreen
from scoreboard.stream.records import RecordRejected, Snapshot, snapshot_parse
from sessions.models import GameSession
from sessions.selectors import session_map

logger = logging.getLogger(__name__)

DETAIL_CHARS = 300


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One Kinesis record as GetRecords returns it: its sequence number (an integer), raw bytes and arrival.

    `arrival` is Kinesis' ApproximateArrivalTimestamp: when the record reached the stream, which
    the game cannot forge (None where it is unknown: the time rules are then skipped).
    """

    sequence_number: int
    data: bytes
    arrival: datetime | None = None


@dataclass(slots=True)
class AcceptedRecord:
    session: GameSession
    snapshot: Snapshot
    sequence_number: int
    # The staging row (_STAGING_COLUMNS order), rank key included: built while routing, which
    # runs on BatchPipeline's helper thread, so the committing thread only hands it to COPY.
    row: tuple


@dataclass(slots=True)
class RejectedRecord:
    sequence_number: int
    data: bytes
    reason: str
    detail: str
    session_id: str = ""
    arrival: datetime | None = None


@dataclass
class RoutedBatch:
    """Where each record of a batch goes: a score event, a discard count or a dead letter."""

    shard_id: str
    accepted: list[AcceptedRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    discarded: dict[int, int] = field(default_factory=dict)  # session pk -> records after closing
    # The sessions of the accepted records, by primary key.
    sessions: dict[int, GameSession] = field(default_factory=dict)
    # The accepted records screened for cheat suspects while routing (flags.batch_screen), if so.
    cheat_screen: BatchScreen | None = None


def _printable(detail: str) -> str:
    # The detail may quote hostile input: PostgreSQL text holds neither NUL nor lone surrogates.
    return detail.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")[:DETAIL_CHARS]


def batch_route(*, shard_id: str, records: Sequence[StreamRecord]) -> RoutedBatch:
    """Decode, validate and route every record of a batch (one query for the sessions it names)."""
    routed = RoutedBatch(shard_id=shard_id)
    parsed: list[tuple[StreamRecord, Snapshot]] = []
    for record in records:
        try:
            parsed.append((record, snapshot_parse(record.data)))
        except RecordRejected as rejected:
            routed.rejected.append(
                RejectedRecord(
                    record.sequence_number,
                    record.data,
                    rejected.reason,
                    _printable(rejected.detail),
                    arrival=record.arrival,
                )
            )
        except Exception as error:  # one record's bytes must never stop the shard
            routed.rejected.append(_unprocessable(record, "unparseable", error))
    # Outside the per-record guards: a database error is not one record's, it stops the batch.
    sessions = session_map(session_ids={snapshot.session_id for _, snapshot in parsed})
    skew = timedelta(seconds=settings.STREAM_CLOCK_SKEW_SECONDS)
    grace = timedelta(seconds=settings.STREAM_CLOSING_GRACE_SECONDS)
    accepted = routed.accepted.append
    players: set[tuple[int, str]] = set()
    for record, snapshot in parsed:
        try:
            arrival = record.arrival
            session = sessions.get(snapshot.session_id)
            if session is None:
                routed.rejected.append(
                    RejectedRecord(
                        record.sequence_number,
                        record.data,
                        "unknown_session",
                        "",
                        session_id=snapshot.session_id,
                        arrival=arrival,
                    )
                )
            elif session.closing_time is not None and (
                snapshot.timestamp > session.closing_time
                # Backdated but put on the stream after closing (and its grace, for snapshots
                # still in flight when the manager closed): it would rewrite final results.
                or (arrival is not None and arrival > session.closing_time + grace)
            ):
                routed.discarded[session.pk] = routed.discarded.get(session.pk, 0) + 1
            elif arrival is not None and snapshot.timestamp > arrival + skew:
                # Stamped in the future (up to the year 9999): it would outrank every real snapshot
                # of the player for good, since a standing only moves to newer timestamps.
                routed.rejected.append(
                    RejectedRecord(
                        record.sequence_number,
                        record.data,
                        "future_timestamp",
                        f"stamped {js_time(snapshot.timestamp)}, arrived {js_time(arrival)}",
                        session_id=snapshot.session_id,
                        arrival=arrival,
                    )
                )
            else:
                _, nickname, score, lives, shots, level, timestamp = snapshot
                session_pk = session.pk
                player = (session_pk, nickname)
                first = player not in players
                if first:
                    players.add(player)
                    routed.sessions[session_pk] = session
                row = (
                    session_pk,
                    nickname,
                    score,
                    lives,
                    shots,
                    level,
                    timestamp,
                    shard_id,
                    record.sequence_number,
                    first,
                    rank_key(score=score, lives=lives, shots=shots, nickname=nickname),
                )
                accepted(AcceptedRecord(session, snapshot, record.sequence_number, row))
        except Exception as error:  # one record's values must never stop the shard
            routed.rejected.append(_unprocessable(record, "unroutable", error))
    return routed


def _unprocessable(record: StreamRecord, reason: str, error: Exception) -> RejectedRecord:
    # A failure no validation rule foresaw: logged with its type, kept as a dead letter to replay.
    logger.warning(
        "record_unprocessable reason=%s sequence=%s error=%s", reason, record.sequence_number, type(error).__name__
    )
    detail = _printable(f"{type(error).__name__}: {error}")
    return RejectedRecord(record.sequence_number, record.data, reason, detail, arrival=record.arrival)
