from django.apps import AppConfig


class ScoreboardConfig(AppConfig):
    name = "scoreboard"
    label = "scoreboard"
    verbose_name = "Scoreboard"
    default_auto_field = "django.db.models.BigAutoField"
