from django.apps import AppConfig


class ScoreboardConfig(AppConfig):
    name = "scoreboard"
    label = "scoreboard"
    verbose_name = "Scoreboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `sessions` must not import the standings (apps depend one way), so the session
        # screens get their live top X through this hook.
        from scoreboard.selectors import session_top_x_rows
        from sessions.top_x import top_x_provider_register

        top_x_provider_register(session_top_x_rows)
