"""The Celery application: Redis broker and result backend, configured from Django settings."""

from typing import Any

from celery import Celery

from alienportal.settings import settings_module_default

settings_module_default()

app = Celery("alienportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_queue(name: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task registered as `name` (`<app>.tasks.<function>`).

    Services queue their tasks by name, so a service never imports the tasks module that calls
    it (no import circle). A task registered in this process runs through its own `apply_async`
    (eager in tests that ask for it); otherwise the name goes to the broker for the workers.
    """
    app.signature(name, args=args, kwargs=kwargs).apply_async()
