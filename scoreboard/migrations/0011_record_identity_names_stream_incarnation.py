"""A score event and a dead letter are unique per (stream incarnation, shard, sequence number).

A stream deleted and created again under the same name (on AWS, or every new demo run's moto) numbers
its records from the start again: unique per (shard, sequence number) alone, the new stream's events
and dead letters that collided with the old stream's were dropped as "already there".

Existing rows get the newest incarnation the drain's leases know (the stream as it is now), else
scoreboard.models.INCARNATION_UNKNOWN: the rows the live drain wrote keep matching the records it
may still read again, and an archive replay of the current stream finds them. (Rows of an earlier
incarnation cannot be told apart, as score events keep no arrival time: they get the same value.)

On PostgreSQL, safe on a big table: the column is added with a constant default (no rewrite since
PostgreSQL 11), the new unique index is built CONCURRENTLY (writes go on meanwhile), then it becomes
the constraint and the old constraint is dropped (both brief catalogue changes). Not atomic, so that
CONCURRENTLY may run; every step can be run again after an interruption. Elsewhere (the demo's
SQLite) Django's own operations do it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import migrations, models
from django.db.migrations.operations.base import Operation

INCARNATION_UNKNOWN = datetime(1970, 1, 1, tzinfo=UTC)  # scoreboard.models.INCARNATION_UNKNOWN

TABLES = (
    # model, table, old constraint, new constraint
    ("scoreevent", "scoreboard_scoreevent", "score_event_one_per_record", "score_event_one_per_record_of_stream"),
    ("deadletter", "scoreboard_deadletter", "dead_letter_one_per_record", "dead_letter_one_per_record_of_stream"),
)
OLD_FIELDS = ("shard_id", "sequence_number")
NEW_FIELDS = ("stream_created_at", "shard_id", "sequence_number")


def _field(default: Any) -> models.DateTimeField:
    return models.DateTimeField(
        default=default,
        help_text="The stream incarnation the record was read from (its StreamCreationTimestamp).",
    )


def _steps(default: Any) -> list[Operation]:
    steps: list[Operation] = []
    for model, _table, old, new in TABLES:
        steps += [
            migrations.AddField(model_name=model, name="stream_created_at", field=_field(default)),
            migrations.RemoveConstraint(model_name=model, name=old),
            migrations.AddConstraint(model_name=model, constraint=models.UniqueConstraint(fields=NEW_FIELDS, name=new)),
        ]
    return steps


def _steps_backwards() -> list[Operation]:
    steps: list[Operation] = []
    for model, _table, old, new in TABLES:
        steps += [
            migrations.RemoveConstraint(model_name=model, name=new),
            migrations.AddConstraint(model_name=model, constraint=models.UniqueConstraint(fields=OLD_FIELDS, name=old)),
            migrations.RemoveField(model_name=model, name="stream_created_at"),
        ]
    return steps


def _current_incarnation(schema_editor: Any) -> Any:
    """The newest incarnation of the configured stream the drain's leases know, else INCARNATION_UNKNOWN."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(stream_created_at) FROM scoreboard_shardlease WHERE stream_name = %s AND consumer = 'drain'",
            [settings.KINESIS_STREAM_NAME],
        )
        (newest,) = cursor.fetchone()
    if isinstance(newest, str):  # SQLite: the UTC time as text
        newest = datetime.fromisoformat(newest).replace(tzinfo=UTC)
    return newest or INCARNATION_UNKNOWN


def _constraint_exists(schema_editor: Any, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
        return cursor.fetchone() is not None


def _unique_concurrently(schema_editor: Any, table: str, name: str, columns: tuple[str, ...]) -> None:
    """Build a unique index without blocking writes, then make it the named constraint."""
    if _constraint_exists(schema_editor, name):
        return
    # A CONCURRENTLY build that was interrupted leaves an invalid index behind: start again.
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({', '.join(columns)})")
    schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}")


class RecordIdentityNamesIncarnation(Operation):
    """The model state of `_steps`; on PostgreSQL the big-table-safe SQL, elsewhere `_steps` themselves."""

    reversible = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        for step in _steps(INCARNATION_UNKNOWN):
            step.state_forwards(app_label, state)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        existing = _current_incarnation(schema_editor)
        if schema_editor.connection.vendor != "postgresql":
            migrations.SeparateDatabaseAndState(database_operations=_steps(existing)).database_forwards(
                app_label, schema_editor, from_state, to_state
            )
            return
        for _model, table, old, new in TABLES:
            # A constant default: PostgreSQL keeps it in the catalogue and rewrites no row.
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS stream_created_at timestamptz NOT NULL"
                f" DEFAULT {schema_editor.quote_value(existing)}"
            )
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN stream_created_at DROP DEFAULT")
            _unique_concurrently(schema_editor, table, new, NEW_FIELDS)
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {old}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        # Fails (unique violation) while two incarnations' rows share a shard and sequence number.
        if schema_editor.connection.vendor != "postgresql":
            migrations.SeparateDatabaseAndState(database_operations=_steps_backwards()).database_forwards(
                app_label, schema_editor, from_state, to_state
            )
            return
        for _model, table, old, new in TABLES:
            _unique_concurrently(schema_editor, table, old, OLD_FIELDS)
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {new}")
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS stream_created_at")

    def describe(self) -> str:
        return "Score events and dead letters are unique per (stream incarnation, shard, sequence number)"


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("scoreboard", "0010_score_event_session_no_db_constraint")]

    operations = [RecordIdentityNamesIncarnation()]
