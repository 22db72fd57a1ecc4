"""Safe defaults (issue 14, findings 6 and 7): no entry point serves with the public development
key unless DEBUG was switched on on purpose, and production refuses to start when unsafe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alienportal.settings import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]

# Production settings as a deployment gives them: every check below changes one thing.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "alienportal.settings.production",
    "DJANGO_READ_DOT_ENV": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/alienportal",
    "REDIS_URL": "redis://:a-redis-password@redis.internal:6379/0",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example.com/oauth2/authorize",
    "OIDC_OP_JWKS_ENDPOINT": "https://login.example.com/.well-known/jwks.json",
    "DJANGO_TRUSTED_PROXY_COUNT": "1",
    "GAME_CORS_ALLOWED_ORIGINS": "https://game.example.com",
}


def _run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


ENTRY_POINTS = {
    "manage.py": ["manage.py", "check"],
    "wsgi": ["-c", "import alienportal.wsgi"],
    "celery": ["-c", "from alienportal.celery import app; print(app.conf.broker_url)"],
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_an_entry_point_started_without_settings_refuses_the_public_development_key(entry_point: str) -> None:
    """Before: DEBUG on and the repository's secret key, so stack traces and forgeable sessions."""
    result = _run(ENTRY_POINTS[entry_point], {"DJANGO_READ_DOT_ENV": "0"})
    assert result.returncode != 0
    assert "The development secret key is public" in result.stderr


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_an_entry_point_with_debug_said_explicitly_starts_for_development(entry_point: str) -> None:
    result = _run(ENTRY_POINTS[entry_point], {"DJANGO_READ_DOT_ENV": "0", "DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def _production_value(expression: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
    env = {**PRODUCTION, **{name: value for name, value in changes.items() if value is not None}}
    for name in [name for name, value in changes.items() if value is None]:
        env.pop(name)
    return _run(
        ["-c", f"import django; django.setup(); from django.conf import settings as s; print({expression})"], env
    )


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"DJANGO_SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "The development secret key is public"),
        ({"DJANGO_SECRET_KEY": "short-but-not-empty"}, "DJANGO_SECRET_KEY must be your own random key"),
        ({"REDIS_URL": "redis://redis.internal:6379/0"}, "REDIS_URL has no password"),
        ({"CELERY_BROKER_URL": "redis://redis.internal:6379/1"}, "CELERY_BROKER_URL has no password"),
        ({"OIDC_OP_JWKS_ENDPOINT": "http://login.example.com/jwks.json"}, "OIDC_OP_JWKS_ENDPOINT must be https://"),
        ({"OIDC_OP_TOKEN_ENDPOINT": "http://login.example.com/token"}, "OIDC_OP_TOKEN_ENDPOINT must be https://"),
        ({"COGNITO_JWKS_URL": "http://cognito.example.com/jwks.json"}, "COGNITO_JWKS_URL must be https://"),
        ({"DJANGO_TRUSTED_PROXY_COUNT": None}, "DJANGO_TRUSTED_PROXY_COUNT must be set"),
        ({"GAME_CORS_ALLOWED_ORIGINS": None}, "GAME_CORS_ALLOWED_ORIGINS must be set"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(changes: dict[str, str | None], refusal: str) -> None:
    result = _production_value("s.DEBUG", **changes)
    assert result.returncode != 0
    assert refusal in result.stderr


def test_production_starts_with_safe_settings_and_explicit_choices() -> None:
    result = _production_value(
        "[s.DEBUG, s.TRUSTED_PROXY_COUNT, s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS]",
        DJANGO_TRUSTED_PROXY_COUNT="0",  # no proxy, said explicitly
        GAME_CORS_ALLOWED_ORIGINS="*",  # any origin, said explicitly
        REDIS_URL="redis://redis.internal:6379/0",
        REDIS_ALLOW_NO_PASSWORD="true",  # a password-less Redis, allowed explicitly
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[False, 0, True, []]"
