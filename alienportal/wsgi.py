"""WSGI entry point."""

from django.core.wsgi import get_wsgi_application

from alienportal.settings import settings_module_default

settings_module_default()
application = get_wsgi_application()
