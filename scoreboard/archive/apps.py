from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "scoreboard.archive"
    label = "archive"
    verbose_name = "Raw archive"
    default_auto_field = "django.db.models.BigAutoField"
