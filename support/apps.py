from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    label = "support"
    verbose_name = "Support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `alienportal` knows no app: each offers its own links to the portal's home page.
        from alienportal.home import home_links_register
        from support.home import home_links

        home_links_register(home_links)
