"""What the stream drain keeps: score events, standings, shard leases, dead letters and pipeline metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models

from scoreboard.evidence import evidence_lines
from sessions.identifiers import NICKNAME_MAX_CHARS
from sessions.models import GameSession

# Kinesis sequence numbers are decimal strings of up to 129 digits: NUMERIC(130, 0) stores
# them so that PostgreSQL compares them as integers ("10" > "9"), never as strings.
SEQUENCE_DIGITS = 130
# scoreboard.ranking.rank_key: 16 + 4 + 10 digits, then the nickname.
RANK_KEY_MAX_CHARS = 30 + NICKNAME_MAX_CHARS


def SequenceNumberField(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=SEQUENCE_DIGITS, decimal_places=0, **kwargs)  # type: ignore[arg-type]


# A record is (stream incarnation, shard, sequence number): a stream deleted and created again under
# the same name numbers its shards' records from the start again (moto from 1), so shard and sequence
# number alone would make the new stream's records collide with the old one's. The incarnation is
# the stream's StreamCreationTimestamp, as on the lease the batch was fenced on (ShardLease). Rows
# whose incarnation is not known (a lease written before incarnations were recorded, a Firehose
# record, a row made by hand) carry this instant instead.
INCARNATION_UNKNOWN = datetime(1970, 1, 1, tzinfo=UTC)


def IncarnationField() -> models.DateTimeField:
    return models.DateTimeField(
        default=INCARNATION_UNKNOWN,
        help_text="The stream incarnation the record was read from (its StreamCreationTimestamp).",
    )


class ScoreEvent(models.Model):
    """One accepted snapshot as it arrived on one shard; a re-delivered record is a no-op."""

    # No separate FK index: the (session, ...) indexes below lead with it. No database constraint
    # either: PostgreSQL checks a deferred foreign key row by row at commit, which cost the drain
    # ~30 ms of a 10,000-record batch (make bench, "commit"), and every event's session was read
    # by the batch's routing (session_map) and is never deleted (the admin refuses; a deletion
    # through the ORM still cascades to the events in Python).
    session = models.ForeignKey(
        GameSession, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    nickname = models.CharField(max_length=NICKNAME_MAX_CHARS)
    score = models.BigIntegerField()
    lives = models.IntegerField()
    shots = models.BigIntegerField()
    level = models.IntegerField()
    event_time = models.DateTimeField()
    stream_created_at = IncarnationField()
    shard_id = models.CharField(max_length=128)
    sequence_number = SequenceNumberField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream_created_at", "shard_id", "sequence_number"], name="score_event_one_per_record_of_stream"
            ),
        ]
        # Deliberately no (session, nickname) index: it cost ~35 % of the insert time in the
        # ingest benchmark, and the drain never reads events back. Add it with the query that
        # needs it. (Deleting a session therefore scans events; sessions are rarely deleted.)

    def __str__(self) -> str:
        return f"{self.nickname}@{self.session.session_id} {self.score} ({self.shard_id}/{self.sequence_number})"


class StandingQuerySet(models.QuerySet["Standing"]):
    def of_session(self, session: GameSession) -> StandingQuerySet:
        return self.filter(session=session)

    def of_player(self, nickname: str) -> StandingQuerySet:
        return self.filter(nickname=nickname)

    def ranked(self) -> StandingQuerySet:
        """Standings that take part in rankings: not hidden by support (hidden ones keep their data)."""
        return self.filter(hidden=False)

    def in_ranking_order(self) -> StandingQuerySet:
        """Score desc, Lives desc, Shots asc, Nickname asc: the one ranking order (rank_key)."""
        return self.order_by("rank_key")


class Standing(models.Model):
    """A player's standing in a session: their current game, their best finished game, and the ranked one.

    The *current* game is the latest snapshot by event time (`current_*`, ordered by
    `event_time, shard_id, sequence_number`). The *best finished* game is the best snapshot
    with Lives 0, in the ranking order (`best_*`; multiple-trials sessions only: in one-game
    sessions the ranking is simply the latest snapshot). `score`, `lives`, `shots`, `level` and
    `rank_key` are the *ranked* game, the better of the two, which every ranking, API and
    dashboard reads: a leader who starts a new game keeps the place his best game earned
    (DESIGN.md). The drain keeps the three consistent in one statement (stream/persist.py).

    `rank_key` encodes the ranking order (Score desc, Lives desc, Shots asc, Nickname asc) as
    one string whose byte order is that order, so PostgreSQL (COLLATE "C"), SQLite and the Redis
    sorted set all rank with the same key (see scoreboard/ranking.py).
    """

    # No separate FK index: the (session, ...) indexes below lead with it.
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="+", db_index=False)
    nickname = models.CharField(max_length=NICKNAME_MAX_CHARS)
    # The ranked game: the better of the current game and the best finished game.
    score = models.BigIntegerField()
    lives = models.IntegerField()
    shots = models.BigIntegerField()
    level = models.IntegerField()
    rank_key = models.CharField(max_length=RANK_KEY_MAX_CHARS)
    # The current game: the latest snapshot. (event_time, shard_id, sequence_number) orders
    # snapshots; the last two only break ties between equal timestamps, deterministically.
    current_score = models.BigIntegerField()
    current_lives = models.IntegerField()
    current_shots = models.BigIntegerField()
    current_level = models.IntegerField()
    current_rank_key = models.CharField(max_length=RANK_KEY_MAX_CHARS)
    event_time = models.DateTimeField()
    shard_id = models.CharField(max_length=128)
    sequence_number = SequenceNumberField()
    # The best finished game (Lives 0), empty until one ends; equal keys resolve to the earliest
    # snapshot, so every arrival order keeps the same one.
    best_score = models.BigIntegerField(null=True, blank=True)
    best_shots = models.BigIntegerField(null=True, blank=True)
    best_level = models.IntegerField(null=True, blank=True)
    # NULL, not "": no finished game yet, and SQL's NULL comparisons are what the drain relies on.
    best_rank_key = models.CharField(max_length=RANK_KEY_MAX_CHARS, null=True, blank=True)  # noqa: DJ001
    best_event_time = models.DateTimeField(null=True, blank=True)
    best_shard_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    best_sequence_number = SequenceNumberField(null=True, blank=True)
    # Grows on every change; the Redis index applies a change only if it is newer (ranking.py).
    revision = models.BigIntegerField(default=1)
    # Hidden from rankings by support (scoreboard.services.standing_hide): the standing keeps
    # following the player's snapshots, but rankings, the Redis index and reports skip it. A
    # database default, because the drain's raw INSERT does not name the column.
    hidden = models.BooleanField(default=False, db_default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StandingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "nickname"], name="standing_one_per_player"),
        ]
        indexes = [models.Index(fields=["session", "rank_key"], name="standing_rank_idx")]

    def __str__(self) -> str:
        return f"{self.nickname}@{self.session.session_id}: {self.score}"

    @property
    def ranks_best_game(self) -> bool:
        """True when the ranked game is the best finished one, not the game being played."""
        return self.best_rank_key is not None and self.best_rank_key < self.current_rank_key


class LeaseConsumer(models.TextChoices):
    """Who reads the shard under a lease: each consumer keeps its own lease and checkpoint."""

    DRAIN = "drain", "drain"
    ARCHIVE = "archive", "archive"


class ShardLeaseQuerySet(models.QuerySet["ShardLease"]):
    def live(self) -> ShardLeaseQuerySet:
        """Leases of the stream as it exists now: not retired with an earlier incarnation (history)."""
        return self.filter(retired_at__isnull=True)

    def drained(self, *, stream_name: str | None = None) -> ShardLeaseQuerySet:
        """The drain's live leases (the archive's have their own selector), with their metrics, in shard order.

        Live: those of a stream incarnation that was replaced are history, not health.
        """
        leases = (
            self.live()
            .filter(consumer=LeaseConsumer.DRAIN)
            .select_related("metrics")
            .order_by("stream_name", "shard_id")
        )
        return leases if stream_name is None else leases.filter(stream_name=stream_name)


class ShardLease(models.Model):
    """Who drains a shard, until when, and how far: the checkpoint is committed with each batch.

    `counter` is the fencing token: it grows on every acquisition, and every write of a batch
    is conditional on it, so a worker that lost its lease can never commit.

    A lease belongs to one incarnation of the stream (its ARN and creation time, as in KCL's
    lease table): a stream deleted and created again under the same name is a new stream whose
    shards start from their beginning, so its shards get new leases and the old ones are retired
    (kept as history, never acquired again; retiring also moves the counter, which fences off a
    worker still holding one). See scoreboard/stream/shards.py.
    """

    stream_name = models.CharField(max_length=128)
    # The incarnation (DescribeStreamSummary's StreamARN and StreamCreationTimestamp); empty on
    # leases written before incarnations were recorded, until shards_sync adopts or retires them.
    stream_arn = models.CharField(max_length=2048, blank=True, default="")
    stream_created_at = models.DateTimeField(null=True, blank=True)
    shard_id = models.CharField(max_length=128)
    # Like two Kinesis applications on one stream: the archive reads every shard at its own pace.
    consumer = models.CharField(max_length=16, choices=LeaseConsumer.choices, default=LeaseConsumer.DRAIN)
    parent_shard_ids = models.JSONField(default=list, blank=True)
    starting_sequence_number = SequenceNumberField(null=True, blank=True)
    ending_sequence_number = SequenceNumberField(null=True, blank=True)
    owner = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    counter = models.BigIntegerField(default=0)
    checkpoint = SequenceNumberField(null=True, blank=True)
    checkpoint_at = models.DateTimeField(null=True, blank=True)
    # Read to its end (a closed shard): its children may start.
    finished = models.BooleanField(default=False)
    # Its stream incarnation was replaced by a newer one: history, never live again.
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = ShardLeaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream_name", "stream_created_at", "shard_id", "consumer"],
                name="shard_lease_one_per_incarnation_shard_and_consumer",
            ),
        ]
        indexes = [models.Index(fields=["stream_name", "consumer", "retired_at"], name="shard_lease_live_idx")]
        ordering = ["stream_name", "shard_id", "consumer", "stream_created_at"]

    def __str__(self) -> str:
        retired = " retired" if self.retired_at else ""
        return f"{self.stream_name}/{self.shard_id} {self.consumer} ({self.owner or 'free'}){retired}"


class ShardMetrics(models.Model):
    """Per-shard pipeline counters, updated in the same transaction as each batch."""

    lease = models.OneToOneField(ShardLease, on_delete=models.CASCADE, related_name="metrics")
    records_processed = models.BigIntegerField(default=0)
    bytes_processed = models.BigIntegerField(default=0)
    dead_letters = models.BigIntegerField(default=0)
    discarded = models.BigIntegerField(default=0)
    millis_behind_latest = models.BigIntegerField(null=True, blank=True)
    batches = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"metrics of {self.lease_id}"


class WorkerHeartbeat(models.Model):
    """A drain worker's last sign of life and the shard it works on."""

    worker = models.CharField(max_length=200, unique=True)
    shard_id = models.CharField(max_length=128, blank=True, default="")
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker


# A real snapshot is about 150 bytes. Keeping whole payloads (Kinesis allows 1 MiB a record) would
# let anyone who can put records grow PostgreSQL by about 1 MB/s per shard; the length and hash
# still tell a kept prefix from the whole record and identify repeats.
DEAD_LETTER_DATA_BYTES = 4096


class DeadLetter(models.Model):
    """A record that could not become a standing, kept (its first 4 KiB) so it can be replayed."""

    stream_created_at = IncarnationField()
    shard_id = models.CharField(max_length=128)
    sequence_number = SequenceNumberField()
    # At most DEAD_LETTER_DATA_BYTES: a longer record was too large anyway, and is never replayed.
    data = models.BinaryField()
    data_length = models.PositiveIntegerField(default=0)  # bytes of the whole record
    data_sha256 = models.CharField(max_length=64, blank=True, default="")  # of the whole record
    # Kinesis' ApproximateArrivalTimestamp, so a replay applies the same time rules as the drain.
    arrived_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=64)
    detail = models.CharField(max_length=300, blank=True, default="")
    # Set for unknown-session records, so a replay can find them once the session exists.
    session_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream_created_at", "shard_id", "sequence_number"], name="dead_letter_one_per_record_of_stream"
            ),
        ]
        indexes = [
            models.Index(fields=["reason", "replayed_at"], name="dead_letter_reason_idx"),
            models.Index(fields=["created_at"], name="dead_letter_created_idx"),  # retention
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.shard_id}/{self.sequence_number}"

    @property
    def is_truncated(self) -> bool:
        """Tell whether `data` is only the first part of the record."""
        return self.data_length > len(self.data)


class SessionDiscards(models.Model):
    """How many records stamped after a session's closing time were discarded."""

    session = models.OneToOneField(GameSession, on_delete=models.CASCADE, related_name="+")
    after_closing = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.session.session_id}: {self.after_closing} after closing"


class ShardMetricsSample(models.Model):
    """A shard's counters at one moment: throughput is the difference between two samples over time."""

    lease = models.ForeignKey(ShardLease, on_delete=models.CASCADE, related_name="+", db_index=False)
    taken_at = models.DateTimeField()
    records_processed = models.BigIntegerField()
    bytes_processed = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["lease", "taken_at"], name="shard_sample_time_idx")]

    def __str__(self) -> str:
        return f"{self.lease_id} at {self.taken_at:%H:%M:%S}: {self.records_processed}"


class CheatFlag(models.Model):
    """A cheat rule a player's snapshots broke in a session (scoreboard/cheats.py), with its first evidence.

    One row per (session, player, rule): the drain writes it in the batch transaction and counts
    repeats in `hits`. A dismissed flag stays dismissed, so that rule stays quiet for that player
    and session however often it fires again.
    """

    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="+", db_index=False)
    nickname = models.CharField(max_length=NICKNAME_MAX_CHARS)
    rule = models.CharField(max_length=24)
    evidence = models.JSONField()
    hits = models.BigIntegerField(default=1)
    first_seen_at = models.DateTimeField()  # event time of the evidence
    last_seen_at = models.DateTimeField()
    raised_at = models.DateTimeField(db_index=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.CharField(max_length=150, blank=True, default="")
    dismiss_reason = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "nickname", "rule"], name="cheat_flag_one_per_rule"),
        ]
        indexes = [models.Index(fields=["nickname"], name="cheat_flag_nickname_idx")]

    def __str__(self) -> str:
        return f"{self.rule} by {self.nickname} in {self.session.session_id}"

    def evidence_lines(self) -> list[str]:
        return evidence_lines(self.evidence)


class CheatRules(models.Model):
    """Managers' overrides of the cheat-rule thresholds (one row; settings.CHEAT_* otherwise).

    Read by the drain at each batch (scoreboard.cheats.Limits.current), so a change applies from
    the next batch on.
    """

    enabled = models.BooleanField(default=True)
    max_shots_per_second = models.FloatField()
    fire_rate_slack_shots = models.PositiveIntegerField()
    points_per_hit = models.PositiveIntegerField()
    level_bonus = models.PositiveIntegerField()
    invaders_per_level = models.PositiveIntegerField()
    min_status_interval_ms = models.PositiveIntegerField()
    clock_skew_seconds = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cheat rules"
        verbose_name_plural = "cheat rules"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_shots_per_second__gt=0, points_per_hit__gt=0, invaders_per_level__gt=0),
                name="cheat_rules_sensible",
            )
        ]

    def __str__(self) -> str:
        return "cheat rules" + ("" if self.enabled else " (off)")
