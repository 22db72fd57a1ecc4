from django.apps import AppConfig


class PortalAuthConfig(AppConfig):
    name = "alienportal.auth"
    # `auth` belongs to django.contrib.auth.
    label = "portal_auth"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        # Registers the OpenAPI extension of the bearer scheme with drf-spectacular.
        from alienportal.auth import schema  # noqa: F401
