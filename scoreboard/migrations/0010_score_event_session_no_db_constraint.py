"""Score events' session is no longer a database foreign key (models.ScoreEvent says why).

On PostgreSQL this drops the constraint (no rewrite, no scan); existing rows are unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('game_sessions', '0004_nickname_128'),
        ('scoreboard', '0009_standing_best_game'),
    ]

    operations = [
        migrations.AlterField(
            model_name='scoreevent',
            name='session',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='game_sessions.gamesession'),
        ),
    ]
