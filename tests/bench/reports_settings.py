"""Settings of the reports benchmark's gunicorn: the test settings' defaults, no DEBUG, the naive endpoints too."""

from alienportal.settings.test import *  # noqa: F403

ROOT_URLCONF = "tests.bench.reports_urls"
DEBUG = False
