"""Production settings: everything secret or host-specific must come from the environment."""

from alienportal.settings.base import *  # noqa: F403
from alienportal.settings.base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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

STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Identity and access hardening ------------------------------------------------------------
from urllib.parse import urlsplit  # noqa: E402

from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE  # noqa: E402

from alienportal.settings.base import (  # noqa: E402
    INSTALLED_APPS,
    MIDDLEWARE,
    OIDC_OP_AUTHORIZATION_ENDPOINT,
)

SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)  # a working day
# Lax, not Strict: the provider's redirect back to /oidc/callback/ must carry the session cookie.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie stays readable by scripts: Dash callbacks send it as X-CSRFToken.
CSRF_COOKIE_HTTPONLY = False

INSTALLED_APPS = [*INSTALLED_APPS, "csp"]
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")

_provider = urlsplit(OIDC_OP_AUTHORIZATION_ENDPOINT)
_provider_origin = [f"{_provider.scheme}://{_provider.netloc}"] if _provider.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Dash (django-plotly-dash) bootstraps its renderer with an inline script and plotly.js
        # compiles functions at run time; the Swagger UI of /api/docs/ loads from jsDelivr.
        "script-src": [SELF, UNSAFE_INLINE, UNSAFE_EVAL, "https://cdn.jsdelivr.net"],
        "style-src": [SELF, UNSAFE_INLINE, "https://cdn.jsdelivr.net"],
        "img-src": [SELF, "data:", "blob:", "https://cdn.jsdelivr.net"],
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
