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

        # The same way, each session's page shows its records that never became standings.
        from scoreboard.session_panel import session_losses_panel
        from sessions.panels import session_panel_register

        session_panel_register(key="losses", title="Records not counted", body=session_losses_panel)
