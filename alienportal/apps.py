from django.apps import AppConfig


class AlienPortalConfig(AppConfig):
    name = "alienportal"
    label = "alienportal"
    verbose_name = "Alien Portal"
