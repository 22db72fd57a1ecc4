from django.apps import AppConfig


class GameSessionsConfig(AppConfig):
    name = "sessions"
    # `sessions` is taken by django.contrib.sessions, which the OIDC login needs.
    label = "game_sessions"
    verbose_name = "Game sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `alienportal` knows no app: each offers its own links to the portal's home page.
        from alienportal.home import home_links_register
        from sessions.home import home_links

        home_links_register(home_links)
