"""Settings of the reports benchmark's gunicorn: the portal's, plus the naive endpoints to compare with."""

from alienportal.settings.base import *  # noqa: F403

ROOT_URLCONF = "tests.bench.reports_urls"
DEBUG = False
