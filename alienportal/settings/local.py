"""Development settings, the demo's default: SQLite, a development secret key (with DJANGO_DEBUG=true only).

Only defaults: whatever the environment (or .env) says wins.
"""

import os
from pathlib import Path

from alienportal.settings import DEVELOPMENT_SECRET_KEY

_ROOT = Path(__file__).resolve().parent.parent.parent

# SQLite keeps the demo dependency-free; tests and production use PostgreSQL.
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_ROOT / 'var' / 'demo.sqlite3'}")
# No DEBUG default: the development key below serves only where DJANGO_DEBUG=true is said
# (environment or .env; `make demo` says it), so a server that forgot DJANGO_SETTINGS_MODULE
# refuses to start instead of serving debug pages and forgeable sessions (base.py checks).
os.environ.setdefault("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

from alienportal.settings.base import *  # noqa: E402, F403
