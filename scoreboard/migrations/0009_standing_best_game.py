"""Standings keep the current game, the best finished game and the ranked one (DESIGN.md's rule).

Existing standings were ranked by their latest snapshot: that snapshot becomes the current game
and stays the ranked one; their best finished game is unknown until one ends (a replay of the
archive or of the events rebuilds it exactly).
"""

from django.db import migrations, models


RANK_KEY_COLUMNS = ("rank_key", "current_rank_key", "best_rank_key")


def current_from_ranked(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoreboard_standing SET current_score = score, current_lives = lives,"
            " current_shots = shots, current_level = level, current_rank_key = rank_key"
        )


def rank_keys_bytewise(apps, schema_editor):
    # Every rank key sorts bytewise, like Redis and Python (scoreboard/ranking.py). An AlterField
    # of max_length re-types the column without its collation (0006 did): name it again here.
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in RANK_KEY_COLUMNS:
            cursor.execute(f'ALTER TABLE scoreboard_standing ALTER COLUMN {column} TYPE varchar(158) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [
        ("scoreboard", "0008_shard_lease_stream_incarnation"),
    ]

    operations = [
        migrations.AddField(
            model_name="standing", name="current_score", field=models.BigIntegerField(default=0), preserve_default=False
        ),
        migrations.AddField(
            model_name="standing", name="current_lives", field=models.IntegerField(default=0), preserve_default=False
        ),
        migrations.AddField(
            model_name="standing", name="current_shots", field=models.BigIntegerField(default=0), preserve_default=False
        ),
        migrations.AddField(
            model_name="standing", name="current_level", field=models.IntegerField(default=0), preserve_default=False
        ),
        migrations.AddField(
            model_name="standing",
            name="current_rank_key",
            field=models.CharField(default="", max_length=158),
            preserve_default=False,
        ),
        migrations.AddField(model_name="standing", name="best_score", field=models.BigIntegerField(blank=True, null=True)),
        migrations.AddField(model_name="standing", name="best_shots", field=models.BigIntegerField(blank=True, null=True)),
        migrations.AddField(model_name="standing", name="best_level", field=models.IntegerField(blank=True, null=True)),
        migrations.AddField(
            model_name="standing", name="best_rank_key", field=models.CharField(blank=True, max_length=158, null=True)
        ),
        migrations.AddField(
            model_name="standing", name="best_event_time", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="standing", name="best_shard_id", field=models.CharField(blank=True, max_length=128, null=True)
        ),
        migrations.AddField(
            model_name="standing",
            name="best_sequence_number",
            field=models.DecimalField(blank=True, decimal_places=0, max_digits=130, null=True),
        ),
        migrations.RunPython(current_from_ranked, migrations.RunPython.noop),
        migrations.RunPython(rank_keys_bytewise, migrations.RunPython.noop),
    ]
