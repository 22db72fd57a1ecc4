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

from alienportal.settings.base import *  # noqa: F403
from alienportal.settings.base import (
    DEBUG,
    INSTALLED_APPS,
    MIDDLEWARE,
    OIDC_OP_AUTHORIZATION_ENDPOINT,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be false in production (debug pages leak settings and data).")

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
        # Our own scripts only: no CDN and no 'unsafe-eval' or inline script until a page needs
        # them (issue 14). The dashboards add exactly what Dash needs when they land, and the
        # API docs serve Swagger UI from our static files. Inline styles: the admin's templates.
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
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
