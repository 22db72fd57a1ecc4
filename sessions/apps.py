from django.apps import AppConfig


class GameSessionsConfig(AppConfig):
    name = "sessions"
    # `sessions` is taken by django.contrib.sessions, which the OIDC login needs.
    label = "game_sessions"
    verbose_name = "Game sessions"
    default_auto_field = "django.db.models.BigAutoField"
