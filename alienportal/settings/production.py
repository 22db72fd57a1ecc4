"""Production settings: everything secret or host-specific comes from the environment.

The base settings already refuse to start without DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and
DATABASE_URL (they have development defaults only in local.py and test.py); this module adds
what exists only in production: HTTPS, secure cookies, collected static files, a content
security policy.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

# Deployments serve collected static files (WhiteNoise); `collectstatic` writes them here by default.
os.environ.setdefault("DJANGO_STATIC_ROOT", str(Path(__file__).resolve().parent.parent.parent / "staticfiles"))

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from alienportal.settings import DEVELOPMENT_SECRET_KEY
from alienportal.settings.base import *  # noqa: F403
from alienportal.settings.base import (
    CELERY_BROKER_URL,
    CELERY_RESULT_BACKEND,
    COGNITO_JWKS_URL,
    DEBUG,
    INSTALLED_APPS,
    MIDDLEWARE,
    OIDC_OP_AUTHORIZATION_ENDPOINT,
    OIDC_OP_JWKS_ENDPOINT,
    OIDC_OP_LOGOUT_ENDPOINT,
    OIDC_OP_TOKEN_ENDPOINT,
    OIDC_OP_USER_ENDPOINT,
    REDIS_URL,
    SECRET_KEY,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be false in production (debug pages leak settings and data).")


def _unsafe_production_settings() -> list[str]:
    """Return what makes these settings unsafe to serve (issue 14); production refuses to start on any."""
    problems = []
    test_key = "test-only-secret-key-not-for-production-use-0123456789"
    # Django's own check --deploy bar: 50 characters, 5 different ones.
    if SECRET_KEY in (DEVELOPMENT_SECRET_KEY, test_key) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("DJANGO_SECRET_KEY must be your own random key of at least 50 characters")
    if not env.bool("REDIS_ALLOW_NO_PASSWORD", default=False):
        for name, url in (("REDIS_URL", REDIS_URL), ("CELERY_BROKER_URL", CELERY_BROKER_URL)):
            if url.startswith(("redis://", "rediss://")) and not urlsplit(url).password:
                problems.append(f"{name} has no password (or set REDIS_ALLOW_NO_PASSWORD=true)")
        if CELERY_RESULT_BACKEND.startswith(("redis://", "rediss://")) and not urlsplit(CELERY_RESULT_BACKEND).password:
            problems.append("CELERY_RESULT_BACKEND has no password (or set REDIS_ALLOW_NO_PASSWORD=true)")
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
        "OIDC_OP_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
        "OIDC_OP_USER_ENDPOINT": OIDC_OP_USER_ENDPOINT,
        "OIDC_OP_JWKS_ENDPOINT": OIDC_OP_JWKS_ENDPOINT,
        "OIDC_OP_LOGOUT_ENDPOINT": OIDC_OP_LOGOUT_ENDPOINT,
        "COGNITO_JWKS_URL": COGNITO_JWKS_URL,
    }
    # Keys and tokens over plain HTTP can be swapped in transit: whoever does signs our sessions.
    problems.extend(
        f"{name} must be https://" for name, url in endpoints.items() if url and not url.startswith("https://")
    )
    # Said explicitly, never defaulted: 0 behind a balancer makes every visitor one address (31
    # sign-ins a minute lock all staff out); `*` lets any web page call the game API.
    if "DJANGO_TRUSTED_PROXY_COUNT" not in os.environ:
        problems.append("DJANGO_TRUSTED_PROXY_COUNT must be set (the reverse proxies in front; 0 if none)")
    if "GAME_CORS_ALLOWED_ORIGINS" not in os.environ:
        problems.append("GAME_CORS_ALLOWED_ORIGINS must be set (the game's origins, or * for any)")
    return problems


if _problems := _unsafe_production_settings():
    raise ImproperlyConfigured("Unsafe production settings: " + "; ".join(_problems) + ".")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # dashboards that embed frames opt in per view (xframe_options_sameorigin)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Identity and access hardening ------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)  # a working day
# Lax, not Strict: the provider's redirect back to /oidc/callback/ must carry the session cookie.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie stays readable by scripts: Dash callbacks send it as X-CSRFToken.
CSRF_COOKIE_HTTPONLY = False

INSTALLED_APPS = [*INSTALLED_APPS, "csp"]
# Right after SecurityMiddleware, so every response, errors included, carries the policy.
MIDDLEWARE = [MIDDLEWARE[0], "csp.middleware.CSPMiddleware", *MIDDLEWARE[1:]]

_provider = urlsplit(OIDC_OP_AUTHORIZATION_ENDPOINT)
_provider_origin = [f"{_provider.scheme}://{_provider.netloc}"] if _provider.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Scripts from the portal itself only, never a CDN (issue 14). 'unsafe-inline' for the inline
        # scripts of django-plotly-dash (its DashRenderer bootstrap) and drf-spectacular's Swagger
        # page. No 'unsafe-eval': Dash 3.4, plotly.js (SVG traces) and Swagger UI run without it,
        # checked page by page in Chromium (tests/reports/dashboards/test_csp_browser.py). A WebGL
        # trace (scattergl and the like) would need it: regl, in plotly.js, builds its draw calls with
        # Function(); the dashboards draw SVG traces only.
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],  # the admin's and Dash's inline styles
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *env.list("CSP_CONNECT_SRC", default=[])],  # e.g. wss://portal.example.com
        "worker-src": [SELF, "blob:"],
        # Dash apps are embedded as same-origin iframes. X_FRAME_OPTIONS stays DENY for
        # `check --deploy`; browsers that know frame-ancestors follow it instead.
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Browsers apply form-action to the redirects after a form post: sign-out posts to us and
        # we redirect to the provider's end-session page.
        "form-action": [SELF, *_provider_origin],
    }
}
