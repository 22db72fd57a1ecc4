"""A BRIN index on score events' session, for per-session counts (the reports' session summary).

Sessions run one at a time (constraint game_session_one_open), so events are laid down on disk
session after session: a BRIN index (a few pages, next to nothing to maintain per insert) lets
a count read only the block ranges of one session. A B-tree on (session, nickname) cost ~35 %
of the drain's insert time (see ScoreEvent's Meta), which this avoids. PostgreSQL only: the
demo's SQLite has no BRIN and counts by scanning.
"""

from django.db import migrations


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS score_event_session_brin ON scoreboard_scoreevent"
            " USING brin (session_id) WITH (pages_per_range = 32, autosummarize = on)"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS score_event_session_brin")


class Migration(migrations.Migration):
    dependencies = [("scoreboard", "0001_initial")]
    operations = [migrations.RunPython(_create, _drop)]
