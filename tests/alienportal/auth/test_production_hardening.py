"""Production settings: secure cookies, HSTS, a content security policy, client address behind proxies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "alienportal.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "DJANGO_READ_DOT_ENV": "0",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/alienportal",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example.com/oauth2/authorize",
    "REDIS_URL": "redis://:a-redis-password@redis.internal:6379/0",
    "DJANGO_TRUSTED_PROXY_COUNT": "0",
    "GAME_CORS_ALLOWED_ORIGINS": "https://game.example.com",
}

# Runs in a clean interpreter under production settings; requests a page that needs no database.
SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/auth/signed-out/", secure=True, HTTP_HOST="portal.example.com")
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "settings": {name: getattr(settings, name) for name in (
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
        "CSRF_TRUSTED_ORIGINS", "DEBUG", "SECURE_SSL_REDIRECT")},
}))
"""


def _production(script: str, extra_env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **PRODUCTION_ENV, **(extra_env or {})}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_and_a_content_security_policy() -> None:
    out = _production(SCRIPT)
    assert out["status"] == 200
    headers = out["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    policy = dict(([*directive.split(" ", 1), ""])[:2] for directive in headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'"
    # Sign-out redirects a form post to the provider: the browser must be allowed to follow.
    assert policy["form-action"] == "'self' https://login.example.com"
    # Scripts from the portal itself only, never a CDN (issue 14); the inline bootstrap scripts of
    # Dash and Swagger UI are the one exception, and no page needs eval (test_csp_browser.py).
    assert policy["script-src"] == "'self' 'unsafe-inline'"
    assert not [
        directive for directive, sources in policy.items() if "https:" in sources and directive != "form-action"
    ]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert out["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "CSRF_TRUSTED_ORIGINS": ["https://portal.example.com"],
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
    }


def test_production_redirects_plain_http_to_https() -> None:
    script = SCRIPT.replace("secure=True", "secure=False")
    out = _production(script)
    assert out["status"] == 301
    assert out["headers"]["Location"] == "https://portal.example.com/auth/signed-out/"


def test_client_address_behind_trusted_proxies() -> None:
    script = """
import json, django
django.setup()
from django.test import RequestFactory
from alienportal.auth.middleware import client_address
request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
print(json.dumps({"address": client_address(request)}))
"""
    # One proxy: the address it appended, not the one the client wrote itself.
    assert _production(script, {"DJANGO_TRUSTED_PROXY_COUNT": "1"})["address"] == "203.0.113.7"
    assert _production(script)["address"] == "10.0.0.2"
