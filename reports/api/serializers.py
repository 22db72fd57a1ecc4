"""Shapes of the reports API: what each resource says, in the field names of the schema."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from rest_framework import serializers

from sessions.models import GameType

SESSION_STATES = ("open", "closed")


class OpenedRangeQuery(serializers.Serializer):
    opened_from = serializers.DateTimeField(required=False, help_text="Sessions opened at or after (ISO 8601).")
    opened_to = serializers.DateTimeField(required=False, help_text="Sessions opened before (ISO 8601).")
    game_type = serializers.ChoiceField(choices=GameType.choices, required=False)
    # opened_to at or before opened_from is an empty range, not an error: it selects no session.


class SessionOutput(serializers.Serializer):
    session_id = serializers.CharField()
    game_type = serializers.ChoiceField(choices=GameType.choices)
    state = serializers.ChoiceField(choices=SESSION_STATES)
    opening_time = serializers.DateTimeField()
    closing_time = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True, help_text="TIME_CONSTRAINED: the fixed deadline.")
    synchronize_time = serializers.DateTimeField(allow_null=True)
    total_seats = serializers.IntegerField()
    occupied_seats = serializers.IntegerField()
    top_x = serializers.IntegerField()


SESSION_COLUMNS = (
    "session_id",
    "game_type",
    "state",
    "opening_time",
    "closing_time",
    "closes_at",
    "synchronize_time",
    "total_seats",
    "occupied_seats",
    "top_x",
)


class SessionSummaryOutput(serializers.Serializer):
    session_id = serializers.CharField()
    game_type = serializers.ChoiceField(choices=GameType.choices)
    opening_time = serializers.DateTimeField()
    closing_time = serializers.DateTimeField(allow_null=True)
    players = serializers.IntegerField(help_text="Players with a standing.")
    records = serializers.IntegerField(help_text="Accepted snapshots.")
    discards = serializers.IntegerField(help_text="Records stamped after the closing time.")
    dead_letters = serializers.IntegerField(help_text="Dead letters naming the session.")
    top_score = serializers.IntegerField(allow_null=True, help_text="Score of rank 1.")
    leader = serializers.CharField(allow_null=True, help_text="Nickname at rank 1.")
    duration_seconds = serializers.FloatField(help_text="Opening to closing; while open, opening to as_of.")


class RankedOutput(serializers.Serializer):
    rank = serializers.IntegerField(min_value=1)
    nickname = serializers.CharField()
    score = serializers.IntegerField()
    lives = serializers.IntegerField()
    shots = serializers.IntegerField()
    level = serializers.IntegerField()
    event_time = serializers.DateTimeField(help_text="Timestamp of the snapshot.")


RANKED_COLUMNS = ("rank", "nickname", "score", "lives", "shots", "level", "event_time")

# The hot windows (a ranking page, a player's place, the leaderboard) build their answer as plain
# dicts in the order of their Output serializer's fields, which stay the schema: running 50 rows
# through a serializer's field machinery was a sixth of a ranking page's CPU. Their times are
# written as DRF's DateTimeField writes them (ISO 8601 in the current time zone, UTC as `Z`;
# tests/reports/test_api.py compares each answer with its serializer's).
_TIME = serializers.DateTimeField()


def api_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """Write `moment` as the API's DateTimeFields do; pass `zone` (the current time zone) when writing many."""
    if timezone.is_naive(moment):
        return str(_TIME.to_representation(moment))  # DRF's own handling of the rare naive time
    text = moment.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class LeaderboardEntryOutput(RankedOutput):
    session_id = serializers.CharField(help_text="The session in which the player earned this standing.")


LEADERBOARD_COLUMNS = (*RANKED_COLUMNS, "session_id")


class WindowQuery(serializers.Serializer):
    start = serializers.IntegerField(min_value=1, max_value=10**9, default=1, help_text="First rank of the window.")
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, help_text="Ranks in the window.")


class PlayerOutput(serializers.Serializer):
    nickname = serializers.CharField()
    sessions = serializers.IntegerField(help_text="Sessions in which the player has a standing.")
    best_score = serializers.IntegerField()
    last_played = serializers.DateTimeField(help_text="Timestamp of the player's latest standing.")


PLAYER_COLUMNS = ("nickname", "sessions", "best_score", "last_played")


class HistoryOutput(serializers.Serializer):
    session_id = serializers.CharField()
    game_type = serializers.ChoiceField(choices=GameType.choices)
    opening_time = serializers.DateTimeField()
    closing_time = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField()
    lives = serializers.IntegerField()
    shots = serializers.IntegerField()
    level = serializers.IntegerField()
    event_time = serializers.DateTimeField()
    rank = serializers.IntegerField(allow_null=True)
    players = serializers.IntegerField(allow_null=True, help_text="Players ranked in the session.")
    percentile = serializers.FloatField(allow_null=True, help_text="Share of players ranked at or below, 0..100.")


HISTORY_COLUMNS = (
    "session_id",
    "game_type",
    "opening_time",
    "closing_time",
    "score",
    "lives",
    "shots",
    "level",
    "event_time",
    "rank",
    "players",
    "percentile",
)


class ShardOutput(serializers.Serializer):
    stream_name = serializers.CharField()
    shard_id = serializers.CharField()
    owner = serializers.CharField(allow_blank=True, help_text="Worker holding the lease; empty when free.")
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    finished = serializers.BooleanField(help_text="A closed shard read to its end.")
    checkpoint = serializers.CharField(allow_null=True, help_text="Last committed sequence number (decimal string).")
    checkpoint_at = serializers.DateTimeField(allow_null=True)
    checkpoint_age_seconds = serializers.FloatField(allow_null=True)
    millis_behind_latest = serializers.IntegerField(allow_null=True, help_text="Kinesis' lag at the last batch.")
    records_processed = serializers.IntegerField()
    bytes_processed = serializers.IntegerField()
    dead_letters = serializers.IntegerField()
    discarded = serializers.IntegerField()
    records_per_second = serializers.FloatField(allow_null=True, help_text="Throughput over the last window.")
    bytes_per_second = serializers.FloatField(allow_null=True)


SHARD_COLUMNS = tuple(ShardOutput().fields)


class DeadLetterCountOutput(serializers.Serializer):
    reason = serializers.CharField()
    total = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Not replayed yet.")
    latest_at = serializers.DateTimeField()


DEAD_LETTER_COUNT_COLUMNS = ("reason", "total", "waiting", "latest_at")


class DeadLetterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    shard_id = serializers.CharField()
    sequence_number = serializers.CharField(help_text="Decimal string (up to 129 digits).")
    reason = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    session_id = serializers.CharField(allow_blank=True, help_text="Set for records of an unknown session.")
    created_at = serializers.DateTimeField()
    replayed_at = serializers.DateTimeField(allow_null=True)
    size = serializers.IntegerField(help_text="Bytes kept of the raw record.")
    data_base64 = serializers.CharField(help_text="The raw record, base64.")


DEAD_LETTER_COLUMNS = tuple(DeadLetterOutput().fields)
