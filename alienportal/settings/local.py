"""Development settings, the demo's default: debug on, SQLite, a development secret key.

Only defaults: whatever the environment (or .env) says wins.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent.parent

# SQLite keeps the demo dependency-free; tests and production use PostgreSQL.
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_ROOT / 'var' / 'demo.sqlite3'}")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-dev-only-key-change-me")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

from alienportal.settings.base import *  # noqa: E402, F403
