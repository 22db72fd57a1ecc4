"""Test settings: the base settings with PostgreSQL and a Redis database of their own by default."""

import os

# Defaults only: a developer or CI can still point the suite elsewhere through the environment.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alienportal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from alienportal.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
