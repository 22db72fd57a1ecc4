"""Settings modules: `base` (shared), `local` (development, the demo's default), `test`, `production`.

Which one a process uses is decided here, in one place: the environment's DJANGO_SETTINGS_MODULE,
else DEFAULT_SETTINGS_MODULE. Every entry point (manage.py, WSGI, Celery, the demo) calls
`settings_module_default()` before Django starts.
"""

import os

DEFAULT_SETTINGS_MODULE = "alienportal.settings.local"
# The key local.py gives development. Public (it is in the repository), so it may sign sessions only
# where DEBUG is explicitly on (base.py refuses it otherwise; production refuses it always).
DEVELOPMENT_SECRET_KEY = "insecure-dev-only-key-change-me"  # noqa: S105


def settings_module_default() -> str:
    """Use DEFAULT_SETTINGS_MODULE unless DJANGO_SETTINGS_MODULE names one; return the module in use."""
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
