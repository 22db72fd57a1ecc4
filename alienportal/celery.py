"""The Celery application: Redis broker and result backend, configured from Django settings."""

from celery import Celery

from alienportal.settings import settings_module_default

settings_module_default()

app = Celery("alienportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
