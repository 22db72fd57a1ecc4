from django.apps import AppConfig


class PortalAuthConfig(AppConfig):
    name = "alienportal.auth"
    # `auth` belongs to django.contrib.auth.
    label = "portal_auth"
    verbose_name = "Identity and access"
