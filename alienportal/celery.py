"""The Celery application: Redis broker and result backend, configured from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alienportal.settings.base")

app = Celery("alienportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
