"""Replay the raw archive (ours or a real Firehose's) through the drain's own write path.

Exactly once, whatever is replayed twice or beside live data: a record keeps its stream
incarnation, shard and sequence number (a Firehose record: shard `firehose` and a hash of its
bytes), and the drain's writes are idempotent on those (events and dead letters are unique per
incarnation + shard + sequence number, a standing only moves to a newer snapshot). The
incarnation is the one the archive consumer wrote beside the record; objects without it (written
before it was recorded) take the newest incarnation of their stream the leases know that was
created at or before the record's arrival (a record cannot reach a stream before it exists, and
each incarnation replaced the one before); Firehose records, and records no lease accounts for,
take INCARNATION_UNKNOWN. Discards are counts, not rows, so a replay never adds
to them: it sets a session's count to the number of distinct discarded records it saw when that
is higher. A dry run does all of it in one transaction and rolls it back.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from scoreboard.archive.objects import (
    FIREHOSE_SHARD_ID,
    FORMAT_JSONL,
    FORMAT_METADATA_KEY,
    ArchivedRecord,
    firehose_decode,
    records_decode,
)
from scoreboard.models import INCARNATION_UNKNOWN, DeadLetter, SessionDiscards, ShardLease, Standing
from scoreboard.ranking import RankingChange
from scoreboard.stream.persist import BatchOutcome, batch_rows_write
from scoreboard.stream.publish import ranking_after_commit
from scoreboard.stream.routing import StreamRecord, batch_route
from sessions.models import GameSession

logger = logging.getLogger(__name__)

BATCH = 5_000
# Hour folders are arrival time: a session's records can sit in the hour before its opening
# (clocks) or after its closing (late records, which become discards).
MARGIN = timedelta(hours=1)
_NAME_TIME = re.compile(r"-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-")
_FOLDER_TIME = re.compile(r"(\d{4})/(\d{2})/(\d{2})/(\d{2})/")
# Our object names: <prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<shard>-<first>-<last>.gz
_OBJECT_STREAM = re.compile(r"(?:^|/)([^/]+)-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[^/]*$")


@dataclass(frozen=True)
class ReplayScope:
    """What to replay: one session, an arrival-time range, or everything (all None)."""

    session_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        if self.session_id:
            return f"session {self.session_id}"
        if self.since or self.until:
            return f"records that arrived from {self.since or 'the start'} to {self.until or 'now'}"
        return "everything"


@dataclass
class RankChange:
    session_id: str
    nickname: str
    before: int | None
    after: int | None


@dataclass
class ArchiveReplaySummary:
    scope: str = ""
    dry_run: bool = False
    objects: int = 0
    firehose_objects: int = 0
    records: int = 0
    out_of_scope: int = 0
    duplicates_in_archive: int = 0
    events_new: int = 0
    events_present: int = 0
    standings_changed: int = 0
    dead_letters_new: int = 0
    dead_letters_present: int = 0
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)
    after_closing: Counter[str] = field(default_factory=Counter)  # session id -> distinct discarded records
    discard_counts_raised: dict[str, tuple[int, int]] = field(default_factory=dict)  # session -> (before, after)
    rank_changes: list[RankChange] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "dry_run": self.dry_run,
            "objects": self.objects,
            "firehose_objects": self.firehose_objects,
            "records": self.records,
            "out_of_scope": self.out_of_scope,
            "duplicates_in_archive": self.duplicates_in_archive,
            "events_new": self.events_new,
            "events_present": self.events_present,
            "standings_changed": self.standings_changed,
            "dead_letters_new": self.dead_letters_new,
            "dead_letters_present": self.dead_letters_present,
            "dead_letter_reasons": dict(self.dead_letter_reasons),
            "after_closing": dict(self.after_closing),
            "discard_counts_raised": {key: list(value) for key, value in self.discard_counts_raised.items()},
            "rank_changes": len(self.rank_changes),
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.records_per_second, 1),
        }

    def report(self, *, rank_changes_shown: int = 20) -> str:
        """The summary as lines for a person (command output, admin page)."""
        verb = "would be" if self.dry_run else "were"
        lines = [
            f"Replay of {self.scope}{' (dry run: nothing written)' if self.dry_run else ''}",
            f"objects read: {self.objects} ({self.firehose_objects} in Firehose's format)",
            f"records read: {self.records} ({self.out_of_scope} outside the scope,"
            f" {self.duplicates_in_archive} duplicates within the archive)",
            f"score events: {self.events_new} {verb} added, {self.events_present} already in the database",
            f"standings: {self.standings_changed} {verb} changed",
            f"dead letters: {self.dead_letters_new} {verb} added, {self.dead_letters_present} already in the database"
            + (f" (reasons: {dict(sorted(self.dead_letter_reasons.items()))})" if self.dead_letter_reasons else ""),
            "records after closing: "
            + (", ".join(f"{key}: {value}" for key, value in sorted(self.after_closing.items())) or "none"),
        ]
        for session_id, (before, after) in sorted(self.discard_counts_raised.items()):
            lines.append(f"discard count of {session_id}: {before} -> {after}")
        lines.append(f"rank changes: {len(self.rank_changes)}")
        for change in self.rank_changes[:rank_changes_shown]:
            lines.append(f"  {change.session_id} {change.nickname}: {change.before or '-'} -> {change.after or '-'}")
        if len(self.rank_changes) > rank_changes_shown:
            lines.append(f"  ... and {len(self.rank_changes) - rank_changes_shown} more")
        lines.append(f"time: {self.seconds:.2f} s, {self.records_per_second:,.0f} records/s")
        return "\n".join(lines)


# --- Reading the archive --------------------------------------------------------------------


def _hour_prefixes(prefix: str, since: datetime, until: datetime) -> list[str]:
    moment = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = until.astimezone(UTC)
    prefixes = []
    while moment <= end:
        prefixes.append(f"{prefix}{moment:%Y/%m/%d/%H}/")
        moment += timedelta(hours=1)
    return prefixes


def archive_keys(*, s3: Any, bucket: str, prefix: str, since: datetime | None, until: datetime | None) -> list[str]:
    """Return the keys of the archive objects whose hour folder may hold records of [since, until]."""
    if since is None and until is None:
        prefixes = [prefix]
    else:
        start = (since or datetime(2000, 1, 1, tzinfo=UTC)) - MARGIN
        end = (until or timezone.now()) + MARGIN
        # A long range: one listing of everything beats thousands of hour folders.
        prefixes = [prefix] if end - start > timedelta(days=62) else _hour_prefixes(prefix, start, end)
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for folder in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _key_time(key: str) -> datetime | None:
    for pattern in (_NAME_TIME, _FOLDER_TIME):
        matches = pattern.findall(key)
        if matches:
            year, month, day, hour, *rest = (int(part) for part in matches[-1])
            minute, second = [*rest, 0, 0][:2]
            try:
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                continue
    return None


def archive_object_read(*, s3: Any, bucket: str, key: str) -> tuple[list[ArchivedRecord], bool]:
    """Return an object's records and whether it was in Firehose's format (rather than ours)."""
    got = s3.get_object(Bucket=bucket, Key=key)
    body = got["Body"].read()
    if got.get("Metadata", {}).get(FORMAT_METADATA_KEY) == FORMAT_JSONL:
        return list(records_decode(body)), False
    arrival = _key_time(key) or got.get("LastModified")
    return list(firehose_decode(body, arrival=arrival)), True


class Incarnations:
    """Which incarnation of its stream an archived record was read from, for records that do not say.

    The newest incarnation of the object's stream that the leases (live or retired, any consumer)
    know to have been created at or before the record's arrival; INCARNATION_UNKNOWN when none is.
    """

    def __init__(self) -> None:
        self._created: dict[str, list[datetime]] = {}

    def of(self, record: ArchivedRecord, *, key: str) -> datetime:
        if record.stream_created_at is not None:
            return record.stream_created_at
        match = _OBJECT_STREAM.search(key)
        if record.shard_id == FIREHOSE_SHARD_ID or record.arrival is None or match is None:
            return INCARNATION_UNKNOWN
        stream_name = match.group(1)
        created = self._created.get(stream_name)
        if created is None:
            leases = ShardLease.objects.filter(stream_name=stream_name, stream_created_at__isnull=False)
            created = sorted({moment for moment in leases.values_list("stream_created_at", flat=True) if moment})
            self._created[stream_name] = created
        position = bisect.bisect_right(created, record.arrival)
        return created[position - 1] if position else INCARNATION_UNKNOWN


def _session_id_of(data: bytes) -> str | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    value = body.get("SessionId") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _in_scope(record: ArchivedRecord, scope: ReplayScope) -> bool:
    if scope.session_id is not None:
        return _session_id_of(record.data) == scope.session_id
    if record.arrival is not None:
        if scope.since is not None and record.arrival < scope.since:
            return False
        if scope.until is not None and record.arrival > scope.until:
            return False
    return True


def archive_records(
    *,
    s3: Any,
    bucket: str,
    prefix: str,
    scope: ReplayScope,
    summary: ArchiveReplaySummary,
    progress: Callable[[int, int, int], None] | None = None,
) -> Iterator[ArchivedRecord]:
    """Yield every in-scope record of the archive once (duplicates within the archive are counted, not yielded).

    Each comes with its stream incarnation (`stream_created_at`, never None here).
    """
    since, until = scope.since, scope.until
    if scope.session_id is not None:
        session = GameSession.objects.filter(session_id=scope.session_id).first()
        if session is not None:
            since, until = session.opening_time, session.closing_time or timezone.now()
    keys = archive_keys(s3=s3, bucket=bucket, prefix=prefix, since=since, until=until)
    seen: set[tuple[datetime, str, int]] = set()
    incarnations = Incarnations()
    for number, key in enumerate(keys, start=1):
        records, firehose = archive_object_read(s3=s3, bucket=bucket, key=key)
        summary.objects += 1
        summary.firehose_objects += int(firehose)
        for record in records:
            summary.records += 1
            if not _in_scope(record, scope):
                summary.out_of_scope += 1
                continue
            incarnation = incarnations.of(record, key=key)
            identity = (incarnation, record.shard_id, record.sequence_number)
            if identity in seen:
                summary.duplicates_in_archive += 1
                continue
            seen.add(identity)
            if record.stream_created_at != incarnation:
                record = dataclasses.replace(record, stream_created_at=incarnation)
            yield record
        if progress is not None:
            progress(number, len(keys), summary.records)


# --- Writing through the drain's path -------------------------------------------------------


def _chunks(records: Iterable[ArchivedRecord]) -> Iterator[tuple[tuple[datetime, str], list[ArchivedRecord]]]:
    """Group records by (incarnation, shard) in chunks of BATCH (a routed batch is one shard's)."""
    pending: dict[tuple[datetime, str], list[ArchivedRecord]] = {}
    for record in records:
        where = (record.stream_created_at or INCARNATION_UNKNOWN, record.shard_id)
        items = pending.setdefault(where, [])
        items.append(record)
        if len(items) >= BATCH:
            yield where, pending.pop(where)
    yield from pending.items()


def _present_dead_letters(incarnation: datetime, shard_id: str, sequences: list[int]) -> set[int]:
    if not sequences:
        return set()
    return {
        int(value)
        for value in DeadLetter.objects.filter(
            stream_created_at=incarnation, shard_id=shard_id, sequence_number__in=sequences
        ).values_list("sequence_number", flat=True)
    }


def _firehose_already_drained(routed: Any) -> set[int]:
    """Sequence numbers of Firehose records the drain already holds under their real identity.

    A Firehose record has no sequence number, so beside live data the same snapshot would
    otherwise count twice: once under its shard and sequence number (the drain), once under its
    hash. Matched on the event's whole content (session, player, time, score, lives, shots, level).
    """
    if not routed.accepted or connection.vendor != "postgresql":
        return set()
    values = [
        (
            item.sequence_number,
            item.session.pk,
            item.snapshot.nickname,
            item.snapshot.timestamp,
            item.snapshot.score,
            item.snapshot.lives,
            item.snapshot.shots,
            item.snapshot.level,
        )
        for item in routed.accepted
    ]
    row = "(%s::numeric, %s::bigint, %s::text, %s::timestamptz, %s::bigint, %s::int, %s::bigint, %s::int)"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT v.seq FROM (VALUES "  # noqa: S608 - placeholders only
            + ", ".join([row] * len(values))
            + ") AS v(seq, session_id, nickname, event_time, score, lives, shots, level)"
            " JOIN scoreboard_scoreevent e ON e.session_id = v.session_id"
            " AND e.nickname = v.nickname AND e.event_time = v.event_time AND e.score = v.score"
            " AND e.lives = v.lives AND e.shots = v.shots AND e.level = v.level AND e.shard_id <> %s",
            [value for item in values for value in item] + [FIREHOSE_SHARD_ID],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _firehose_dead_letters_present(records: list[StreamRecord]) -> set[int]:
    """Firehose records whose bytes the drain already keeps as a dead letter (under its real identity)."""
    by_data = {record.data: record.sequence_number for record in records}
    present = DeadLetter.objects.filter(data__in=list(by_data)).exclude(shard_id=FIREHOSE_SHARD_ID)
    return {by_data[bytes(data)] for data in present.values_list("data", flat=True) if bytes(data) in by_data}


def _ranks(session_pks: Iterable[int]) -> dict[tuple[int, str], int]:
    ranks: dict[tuple[int, str], int] = {}
    for session_pk in session_pks:
        names = Standing.objects.filter(session_id=session_pk).order_by("rank_key").values_list("nickname", flat=True)
        for position, nickname in enumerate(names.iterator(chunk_size=20_000), start=1):
            ranks[(session_pk, nickname)] = position
    return ranks


def _replay_batch(
    where: tuple[datetime, str],
    items: list[ArchivedRecord],
    summary: ArchiveReplaySummary,
    discarded: dict[int, set[tuple[datetime, str, int]]],
    sessions: dict[int, GameSession],
    ranks_before: dict[tuple[int, str], int],
    ranked_sessions: set[int],
    dry_run: bool,
) -> list[RankingChange]:
    """Route and write one shard's batch (of one incarnation) the way the drain does; return the standing changes."""
    incarnation, shard_id = where
    batch = [StreamRecord(item.sequence_number, item.data) for item in items]
    routed = batch_route(shard_id=shard_id, records=batch)
    new_sessions = {item.session.pk for item in routed.accepted} - ranked_sessions
    if dry_run and new_sessions:
        ranks_before.update(_ranks(new_sessions))
    ranked_sessions |= new_sessions
    for item in routed.accepted:
        sessions[item.session.pk] = item.session
    # Discards are counted once per distinct record at the end, not added batch by batch.
    for session_pk, sequences in _discarded_sequences(batch, routed).items():
        discarded.setdefault(session_pk, set()).update((incarnation, shard_id, sequence) for sequence in sequences)
    routed.discarded = {}
    if shard_id == FIREHOSE_SHARD_ID:
        drained = _firehose_already_drained(routed)
        routed.accepted = [item for item in routed.accepted if item.sequence_number not in drained]
        summary.events_present += len(drained)
        letters = _firehose_dead_letters_present([StreamRecord(i.sequence_number, i.data) for i in routed.rejected])
        routed.rejected = [item for item in routed.rejected if item.sequence_number not in letters]
        summary.dead_letters_present += len(letters)
    present = _present_dead_letters(incarnation, shard_id, [item.sequence_number for item in routed.rejected])
    for letter in routed.rejected:
        if letter.sequence_number in present:
            summary.dead_letters_present += 1
        else:
            summary.dead_letters_new += 1
            summary.dead_letter_reasons[letter.reason] += 1
    outcome = BatchOutcome()
    batch_rows_write(routed=routed, outcome=outcome, now=timezone.now(), stream_created_at=incarnation)
    summary.events_new += outcome.events
    summary.events_present += len(routed.accepted) - outcome.events
    summary.standings_changed += outcome.standings_changed
    return outcome.changes


def archive_replay(
    *,
    scope: ReplayScope,
    dry_run: bool = False,
    s3: Any = None,
    bucket: str | None = None,
    prefix: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> ArchiveReplaySummary:
    """Rebuild events, standings, discards and dead letters from the archive, counting nothing twice."""
    from alienportal.aws import aws_client

    s3 = s3 or aws_client("s3")
    bucket = bucket or settings.ARCHIVE_BUCKET
    prefix = settings.ARCHIVE_PREFIX if prefix is None else prefix
    summary = ArchiveReplaySummary(scope=scope.describe(), dry_run=dry_run)
    started = time.monotonic()
    records = archive_records(s3=s3, bucket=bucket, prefix=prefix, scope=scope, summary=summary, progress=progress)
    discarded: dict[int, set[tuple[datetime, str, int]]] = {}
    sessions: dict[int, GameSession] = {}
    ranks_before: dict[tuple[int, str], int] = {}
    ranked_sessions: set[int] = set()
    # A dry run writes everything in one transaction and rolls it back; a real replay commits
    # batch by batch (each is idempotent, so an interrupted replay is simply run again).
    with transaction.atomic() if dry_run else nullcontext():
        for where, items in _chunks(records):
            with transaction.atomic():
                changes = _replay_batch(
                    where, items, summary, discarded, sessions, ranks_before, ranked_sessions, dry_run
                )
            if not dry_run:
                ranking_after_commit(changes=changes, stream_name="archive-replay", shard_id=where[1])
        with transaction.atomic():
            _discards_raise(discarded, summary)
        if dry_run:
            ranks_after = _ranks(ranked_sessions)
            names = {pk: session.session_id for pk, session in sessions.items()}
            for key in sorted(set(ranks_before) | set(ranks_after), key=lambda k: (k[0], ranks_after.get(k, 0))):
                if ranks_before.get(key) != ranks_after.get(key):
                    summary.rank_changes.append(
                        RankChange(names.get(key[0], str(key[0])), key[1], ranks_before.get(key), ranks_after.get(key))
                    )
            transaction.set_rollback(True)
    summary.seconds = time.monotonic() - started
    logger.info("archive_replayed %s", " ".join(f"{key}={value}" for key, value in summary.as_dict().items()))
    return summary


def _discarded_sequences(batch: list[StreamRecord], routed: Any) -> dict[int, list[int]]:
    """Which records of the batch the routing discarded (it only counts them): re-derived from the rest."""
    kept = {item.sequence_number for item in routed.accepted} | {item.sequence_number for item in routed.rejected}
    result: dict[int, list[int]] = {}
    leftovers = [record for record in batch if record.sequence_number not in kept]
    if not leftovers:
        return result
    closing = dict(routed.discarded)
    if len(closing) == 1:
        (session_pk,) = closing
        result[session_pk] = [record.sequence_number for record in leftovers]
        return result
    # Several sessions discarded in one batch: tell them apart by the record's SessionId.
    by_id = {
        session.session_id: session.pk
        for session in GameSession.objects.filter(pk__in=list(closing)).only("pk", "session_id")
    }
    for record in leftovers:
        session_pk = by_id.get(_session_id_of(record.data) or "")
        if session_pk is not None:
            result.setdefault(session_pk, []).append(record.sequence_number)
    return result


def _discards_raise(discarded: dict[int, set[tuple[datetime, str, int]]], summary: ArchiveReplaySummary) -> None:
    """Set each session's discard count to the distinct discarded records seen, if that is more."""
    if not discarded:
        return
    names = dict(GameSession.objects.filter(pk__in=list(discarded)).values_list("pk", "session_id"))
    for session_pk, identities in sorted(discarded.items()):
        seen = len(identities)
        summary.after_closing[names[session_pk]] += seen
        row, _ = SessionDiscards.objects.select_for_update().get_or_create(session_id=session_pk)
        if seen > row.after_closing:
            summary.discard_counts_raised[names[session_pk]] = (row.after_closing, seen)
            SessionDiscards.objects.filter(pk=row.pk).update(after_closing=seen)
