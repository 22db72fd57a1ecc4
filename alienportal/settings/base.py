"""Settings shared by every environment, read from the environment.

Each setting is defined once, here; `local`, `test` and `production` only choose the defaults of
the environment they run in (before importing this module) and add what exists only there.
Nothing here has a development default that would be unsafe in production: the secret key, the
allowed hosts and the database must be given (local.py and test.py give them for development).
"""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from alienportal.settings import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is a convenience for developers; the process environment always wins.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
APP_NAME = env.str("ALIENPORTAL_APP_NAME", default="alienportal")

INSTALLED_APPS = [
    # First: its runserver (the ASGI server with WebSockets) replaces Django's (see "Live game events").
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files of the wheel, never from a CDN
    "django_celery_beat",
    "corsheaders",
    "alienportal",
    "alienportal.auth.apps.PortalAuthConfig",
    # Label `game_sessions`: django.contrib.sessions owns `sessions` (see DESIGN.md).
    "sessions.apps.GameSessionsConfig",
    "scoreboard.apps.ScoreboardConfig",
    "scoreboard.archive.apps.ArchiveConfig",
    "reports.apps.ReportsConfig",
    "support.apps.SupportConfig",
    "django_plotly_dash.apps.DjangoPlotlyDashConfig",  # the dashboards (reports.dashboards)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, so preflight requests and redirects carry the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "alienportal.dates.ViewerTimeZoneMiddleware",  # pages in the viewer's time zone (their browser's)
    # After authentication: they need request.user (see alienportal.auth.middleware).
    "alienportal.auth.middleware.SignInRateLimitMiddleware",
    "alienportal.auth.middleware.OIDCSessionRefresh",
    "alienportal.auth.middleware.PortalAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Fills the placeholders of the dashboards' `plotly_direct` pages with Dash's config and scripts.
    "django_plotly_dash.middleware.BaseMiddleware",
]

ROOT_URLCONF = "alienportal.urls"
WSGI_APPLICATION = "alienportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "alienportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# --- Data -------------------------------------------------------------------------------
def _database(config: dict[str, Any]) -> dict[str, Any]:
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The demo's web server, workers and beat share one SQLite file: take the write lock at
        # the start of each transaction and wait for it, instead of failing with "database is locked".
        options = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        return {**config, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "OPTIONS": options}
    return {**config, "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}


DATABASES = {"default": _database(env.db_url("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": APP_NAME,
        # Never unpickle what Redis returns (alienportal/cache.py).
        "OPTIONS": {"serializer": "alienportal.cache.JsonSerializer"},
    }
}

# --- AWS --------------------------------------------------------------------------------
# Unset AWS_ENDPOINT_URL means real AWS through boto3's default credential chain.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="") or None
AWS_REGION = env.str("AWS_REGION", default=env.str("AWS_DEFAULT_REGION", default="us-east-1"))
AWS_MAX_ATTEMPTS = env.int("AWS_MAX_ATTEMPTS", default=5)
KINESIS_STREAM_NAME = env.str("KINESIS_STREAM_NAME", default=f"{APP_NAME}-gamestatus")
KINESIS_SHARD_COUNT = env.int("KINESIS_SHARD_COUNT", default=2)
# How long /v1/updatestatus waits for its record's PutRecords answer before a 503 (alienportal.kinesis_puts).
KINESIS_PUT_TIMEOUT_SECONDS = env.float("KINESIS_PUT_TIMEOUT_SECONDS", default=10.0)
ARCHIVE_BUCKET = env.str("ARCHIVE_BUCKET", default=f"{APP_NAME}-raw-archive")
SSM_SESSION_PARAMETER = env.str("SSM_SESSION_PARAMETER", default=f"/{APP_NAME}/session")
COGNITO_USER_POOL_NAME = env.str("COGNITO_USER_POOL_NAME", default=f"{APP_NAME}-users")
COGNITO_USER_POOL_ID = env.str("COGNITO_USER_POOL_ID", default="")
COGNITO_APP_CLIENT_NAME = env.str("COGNITO_APP_CLIENT_NAME", default=f"{APP_NAME}-portal")
# The game signs in with its user pool client, then refreshes credentials from this identity pool;
# /v1/config serves both from SSM parameters under this path (the original's names).
COGNITO_IDENTITY_POOL_NAME = env.str("COGNITO_IDENTITY_POOL_NAME", default=f"{APP_NAME}-game")
SSM_GAME_CONFIG_PATH = env.str("SSM_GAME_CONFIG_PATH", default=f"/{APP_NAME.lower()}")
GAME_CONFIG_MAX_AGE = env.int("GAME_CONFIG_MAX_AGE", default=300)  # seconds /v1/config may be cached
# Where the demo's provisioning step writes what it created (pool id, client id, endpoint).
DEVSTACK_STATE_FILE = Path(env.str("DEVSTACK_STATE_FILE", default=str(BASE_DIR / "var" / "devstack.json")))

# --- Auth, i18n, static -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # until the viewer's browser has told its own (alienportal.dates)
# One human format for moments everywhere, the admin's own fields included (alienportal/formats).
FORMAT_MODULE_PATH = ["alienportal.formats"]
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Dash's renderer, React and plotly.js from the installed packages (PLOTLY_DASH serve_locally).
    "django_plotly_dash.finders.DashComponentFinder",
]
# Only deployments collect static files (production.py defaults it); in development runserver
# serves them from the apps, and WhiteNoise would warn about a missing directory on every request.
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or None

# --- REST -------------------------------------------------------------------------------
# Behind N reverse proxies the client address is the N-th last X-Forwarded-For entry; rate limits
# (APIs and sign-in) key on it. 0 (not DRF's default None, which trusts whatever X-Forwarded-For the
# client sends and so lets anyone pick a fresh budget per request) means: the address of the TCP peer.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
# Every endpoint derives from alienportal.api.base.BaseApi, which relies on these defaults.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "alienportal.auth.authentication.CognitoJWTAuthentication",  # first: unauthenticated calls get 401
        "rest_framework.authentication.SessionAuthentication",  # the browsable pages of signed-in staff
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Counted atomically in Redis: DRF's cache throttles let racing requests through (api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["alienportal.api.throttling.AtomicCallerRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Alien Portal API",
    "DESCRIPTION": "Game sessions, seats and reports of Alien Attack.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API schema and docs are for signed-in staff and token holders, not for everyone.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several fields carry a health state (green / amber / red / unknown): one schema component.
    "ENUM_NAME_OVERRIDES": {"HealthStateEnum": "reports.api.pipeline.HEALTH_CHOICES"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {"no_forbidden_traceback": {"()": "alienportal.request_log.ForbiddenWithoutTraceback"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # Django's default config gives "django" a console handler of its own under DEBUG: with the
        # root's, every line (a 403's traceback included) was written twice. The root writes it once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused page is a person going where their role does not allow, not a bug: one line, no stack.
        "django.request": {"filters": ["no_forbidden_traceback"]},
    },
}

# --- Identity and access (alienportal.auth) ----------------------------------------------
# Browser sign-in: OIDC code flow (state, nonce, PKCE) with the provider; roles from
# `cognito:groups`. APIs: Cognito bearer tokens verified against the pool's JWKS.
# No ModelBackend: only local superusers may use a password (break-glass).
AUTHENTICATION_BACKENDS = [
    "alienportal.auth.backends.CognitoOIDCBackend",
    "alienportal.auth.backends.BreakGlassBackend",
]
# A refused form (CSRF) is a 403 in the portal's frame too, saying what to do next.
CSRF_FAILURE_VIEW = "alienportal.home.portal_csrf_failure"
LOGIN_URL = "oidc_authentication_init"
# After sign-in without a page to return to: the portal home (alienportal.home), which links what the role may open.
LOGIN_REDIRECT_URL = "portal_home"
LOGIN_REDIRECT_URL_FAILURE = "/auth/sign-in-failed/"
LOGOUT_REDIRECT_URL = "/auth/signed-out/"

OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env.str("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's end-session request
OIDC_OP_LOGOUT_URL_METHOD = "alienportal.auth.views.provider_logout_url"
OIDC_TIMEOUT = 10
OIDC_EXEMPT_URLS: list[str] = []
# Sign-in targets are checked where they are stored and where they are used (same site, relative).
OIDC_AUTHENTICATE_CLASS = "alienportal.auth.views.PortalAuthenticationRequestView"
OIDC_CALLBACK_CLASS = "alienportal.auth.views.PortalAuthenticationCallbackView"
# APIs outside PORTAL_API_PREFIXES: a write on an overdue sign-in gets 403 there, not a redirect.
GAME_API_PREFIXES = ["/v1/"]
# How long a sign-in is trusted before a silent re-check at the provider (and a roles re-sync).
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", default=300)

# Bearer tokens. COGNITO_ISSUER and COGNITO_JWKS_URL default from the pool id (see
# alienportal.auth.tokens); the JWKS URL is never taken from a token's own `iss`.
COGNITO_ISSUER = env.str("COGNITO_ISSUER", default="")
COGNITO_JWKS_URL = env.str("COGNITO_JWKS_URL", default="")
# Which app clients' tokens each API accepts, and which token uses (alienportal.auth.tokens.API_TOKENS;
# a view names its API with `token_api`). The game API takes the game client's ID tokens (what the
# original game sends) and access tokens; the reports API its clients' access tokens. The portal's
# own OIDC client (OIDC_RP_CLIENT_ID) is refused by every API.
GAME_API_CLIENT_IDS = env.list("GAME_API_CLIENT_IDS", default=[])
GAME_API_TOKEN_USES = env.list("GAME_API_TOKEN_USES", default=["id", "access"])
REPORTS_API_CLIENT_IDS = env.list("REPORTS_API_CLIENT_IDS", default=[])
REPORTS_API_TOKEN_USES = env.list("REPORTS_API_TOKEN_USES", default=["access"])
COGNITO_JWT_LEEWAY_SECONDS = env.int("COGNITO_JWT_LEEWAY_SECONDS", default=30)
COGNITO_JWKS_CACHE_SECONDS = env.int("COGNITO_JWKS_CACHE_SECONDS", default=3600)
COGNITO_JWKS_MIN_REFETCH_SECONDS = env.int("COGNITO_JWKS_MIN_REFETCH_SECONDS", default=30)

# Paths the portal gate leaves alone, and API paths whose own permissions decide (see
# alienportal.auth.middleware.PortalAccessMiddleware). Extend these lists, never bypass the gate.
PORTAL_OPEN_PREFIXES = ["/oidc/", "/auth/", "/v1/", f"/{STATIC_URL}"]
PORTAL_API_PREFIXES = ["/api/"]
SIGN_IN_PATHS = ["/oidc/authenticate/", "/oidc/callback/", "/auth/break-glass/", "/admin/login/"]
SIGN_IN_RATE_LIMIT = (env.int("SIGN_IN_RATE_LIMIT", default=30), env.int("SIGN_IN_RATE_WINDOW_SECONDS", default=60))

# --- Game sessions ------------------------------------------------------------------------
# Longest wait between two retries of a failed SSM publish, seconds (backoff doubles up to it).
SESSIONS_PUBLISH_RETRY_BACKOFF_MAX = env.int("SESSIONS_PUBLISH_RETRY_BACKOFF_MAX", default=60)

# --- Stream drain (scoreboard) ----------------------------------------------------------
# A dead worker's lease is taken over after it expires; beat looks for free shards every
# STREAM_SYNC_SECONDS, so takeover happens within STREAM_LEASE_SECONDS + STREAM_SYNC_SECONDS (<= 15 s).
STREAM_LEASE_SECONDS = env.float("STREAM_LEASE_SECONDS", default=9.0)
STREAM_SYNC_SECONDS = env.float("STREAM_SYNC_SECONDS", default=5.0)
STREAM_BATCH_LIMIT = env.int("STREAM_BATCH_LIMIT", default=10_000)  # GetRecords Limit (Kinesis max)
# GetRecords pacing per shard. Kinesis allows 5 calls per shard per second for ALL its consumers:
# the drain takes 4 (a call every 0.25 s, up to 40,000 records/s a shard), the archive 1 (it
# buffers for minutes anyway). With the archive off (ARCHIVE_CONSUMER_ENABLED=false), 0.2 is allowed.
STREAM_MIN_CALL_SECONDS = env.float("STREAM_MIN_CALL_SECONDS", default=0.25)
STREAM_DRAIN_SECONDS = env.float("STREAM_DRAIN_SECONDS", default=60.0)  # one drain task's time on a shard
# Time sanity by Kinesis' ApproximateArrivalTimestamp (issue 14, README "Time rules"): a snapshot
# stamped more than the skew after it reached the stream is a dead letter (future_timestamp); after
# a session closes, a snapshot stamped before closing counts only if it arrived within the grace.
STREAM_CLOCK_SKEW_SECONDS = env.float("STREAM_CLOCK_SKEW_SECONDS", default=300.0)
STREAM_CLOSING_GRACE_SECONDS = env.float("STREAM_CLOSING_GRACE_SECONDS", default=60.0)
# Dead letters older than this are deleted by the beat task scoreboard.tasks.dead_letters_expire_task.
DEAD_LETTER_RETENTION_DAYS = env.int("DEAD_LETTER_RETENTION_DAYS", default=30)
# Each drain call beats under its own name, a row per shard every STREAM_DRAIN_SECONDS; the beat
# task scoreboard.tasks.worker_heartbeats_prune_task deletes those older than this. The admin's
# heartbeat page keeps a day for looking back; the health page reads only the last 10 minutes.
WORKER_HEARTBEAT_RETENTION_HOURS = env.float("WORKER_HEARTBEAT_RETENTION_HOURS", default=24.0)

# --- Reports ------------------------------------------------------------------------------
# Per-shard counters are sampled this often; throughput is read over PIPELINE_THROUGHPUT_SECONDS.
PIPELINE_SAMPLE_SECONDS = env.float("PIPELINE_SAMPLE_SECONDS", default=10.0)
PIPELINE_THROUGHPUT_SECONDS = env.float("PIPELINE_THROUGHPUT_SECONDS", default=60.0)

# --- Raw archive (scoreboard.archive) -------------------------------------------------------
# Every record read from the stream goes to S3 in Firehose's layout, by a consumer of its own
# (own lease and checkpoint per shard, own queue). Turn it off when a real Firehose already
# archives the stream; replay reads a Firehose's objects as well as ours.
ARCHIVE_CONSUMER_ENABLED = env.bool("ARCHIVE_CONSUMER_ENABLED", default=True)
ARCHIVE_PREFIX = env.str("ARCHIVE_PREFIX", default="")  # Firehose's default: none, keys start YYYY/
ARCHIVE_BUFFER_BYTES = env.int("ARCHIVE_BUFFER_BYTES", default=5 * 1024 * 1024)  # Firehose: 5 MiB
ARCHIVE_BUFFER_SECONDS = env.float("ARCHIVE_BUFFER_SECONDS", default=300.0)  # Firehose: 300 s
ARCHIVE_BATCH_LIMIT = env.int("ARCHIVE_BATCH_LIMIT", default=10_000)  # GetRecords Limit
ARCHIVE_MIN_CALL_SECONDS = env.float("ARCHIVE_MIN_CALL_SECONDS", default=1.0)  # see STREAM_MIN_CALL_SECONDS
ARCHIVE_TASK_SECONDS = env.float("ARCHIVE_TASK_SECONDS", default=60.0)  # one archive task's time on a shard
# Beat reconciles a closed session (Redis, PostgreSQL, a replay of the archive) once its records
# must all be in S3: a buffer's time after closing plus a margin; sessions closed in the last days.
ARCHIVE_RECONCILE_AFTER_SECONDS = env.float("ARCHIVE_RECONCILE_AFTER_SECONDS", default=ARCHIVE_BUFFER_SECONDS + 120)
ARCHIVE_RECONCILE_LOOKBACK_DAYS = env.int("ARCHIVE_RECONCILE_LOOKBACK_DAYS", default=2)
# Score events older than this many days are deleted (standings, summaries, tickets and the
# audit log are kept); 0 keeps them forever.
SCORE_EVENT_RETENTION_DAYS = env.int("SCORE_EVENT_RETENTION_DAYS", default=90)
# Provisioning puts an S3 lifecycle rule expiring archive objects after this many days; 0: none.
ARCHIVE_EXPIRATION_DAYS = env.int("ARCHIVE_EXPIRATION_DAYS", default=0)

# --- Game API CORS --------------------------------------------------------------------------
# The game runs in players' browsers on another origin (the original served it from CloudFront
# and its API Gateway answered `Access-Control-Allow-Origin: *`). Only the game API (/v1/) is
# cross-origin; it authenticates with bearer tokens, never cookies, so no credentials are allowed.
CORS_URLS_REGEX = r"^/v1/.*$"
# Unset (development) or `*`: any origin; production requires it set, `*` said explicitly.
CORS_ALLOW_ALL_ORIGINS = env.list("GAME_CORS_ALLOWED_ORIGINS", default=[]) in ([], ["*"])
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else env.list("GAME_CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("GET", "POST", "OPTIONS")
CORS_ALLOW_HEADERS = ("authorization", "content-type", "x-amz-date", "x-api-key", "x-amz-security-token")

# --- Celery -----------------------------------------------------------------------------
# Last, because the periodic tasks of every app are in one table below: add your app's entries
# there (task names: `<app>.tasks.<entity>_<action>[_task]`, see README "Conventions").
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"


def _every(seconds: float, task: str) -> dict[str, object]:
    """A beat entry running `task` every `seconds`; a run queued longer than that is stale: the next replaces it."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


CELERY_BEAT_SCHEDULE = {
    # --- sessions
    # A timed session's closing time is fixed when it opens; this only makes the close visible
    # (SSM, seats) within a few seconds of the deadline.
    "sessions-close-expired": {"task": "sessions.tasks.sessions_close_expired_task", "schedule": 5.0},
    # Catches an SSM publish whose retries ran out or whose task was lost.
    "sessions-publish-sweep": {"task": "sessions.tasks.session_publish_sweep_task", "schedule": 15.0},
    # --- scoreboard
    "scoreboard-shards-sync": _every(STREAM_SYNC_SECONDS, "scoreboard.tasks.stream_shards_sync"),
    "scoreboard-pipeline-sample": _every(PIPELINE_SAMPLE_SECONDS, "scoreboard.tasks.pipeline_sample_task"),
    # --- scoreboard.archive
    "archive-shards-sync": _every(STREAM_SYNC_SECONDS, "scoreboard.archive.tasks.archive_shards_sync"),
    "score-events-prune": {"task": "scoreboard.archive.tasks.score_events_prune_task", "schedule": 3600.0},
    "archive-reconcile-due": _every(60.0, "scoreboard.archive.tasks.archive_reconcile_due_task"),
    "scoreboard-dead-letters-expire": _every(3600.0, "scoreboard.tasks.dead_letters_expire_task"),
    "scoreboard-worker-heartbeats-prune": _every(3600.0, "scoreboard.tasks.worker_heartbeats_prune_task"),
    # --- support: the drain's cheat flags become "cheating suspected" tickets within this period.
    "support-cheat-tickets-sweep": _every(30.0, "support.tasks.cheat_tickets_sweep"),
}
CELERY_TASK_ROUTES = {
    # Drain tasks hold a worker slot for STREAM_DRAIN_SECONDS each: their own queue ("stream", one
    # worker slot per shard) keeps them from starving every other task.
    "scoreboard.tasks.stream_shard_drain": {"queue": "stream"},
    # The archive consumer's tasks hold slots the same way: a queue of their own ("archive"), so
    # the archive never delays the drain; replays a manager asks for run there too.
    "scoreboard.archive.tasks.archive_shard_run": {"queue": "archive"},
    "scoreboard.archive.tasks.archive_replay_task": {"queue": "archive"},
}

# --- Dashboards (reports.dashboards, django-plotly-dash) ---------------------------------
PLOTLY_DASH = {
    # Every asset from our own static files, never a CDN (the production CSP allows only 'self').
    "serve_locally": True,
    # The HTTP "poke" endpoint (unauthenticated) and the "pipe" websocket consumer (accepts any
    # socket, rebroadcasts any client message) are never routed: the live dashboard polls a
    # cheap revision instead. http_poke_enabled=False also keeps the poke route out of
    # django_plotly_dash.routing should anyone import it.
    "http_poke_enabled": False,
    # Every Dash view (page, layout, dependencies, callbacks, assets) goes through our capability check.
    "view_decorator": "reports.dashboards.access.dash_view_guard",
    "cache_arguments": False,
}
# How often the live ranking asks whether anything changed (ms). Put → on screen is this period
# plus one callback plus the drain's own delay; 300 ms keeps p95 well under 1 s.
DASHBOARD_LIVE_INTERVAL_MS = env.int("DASHBOARD_LIVE_INTERVAL_MS", default=300)
DASHBOARD_HEALTH_INTERVAL_MS = env.int("DASHBOARD_HEALTH_INTERVAL_MS", default=2000)
# Operations-health thresholds: (amber at, red at) — a value at or above "amber at" is amber. Lag in
# ms behind the stream's tip (MillisBehindLatest); checkpoint and heartbeat ages in seconds (a
# lease lasts 9 s, renewed every 3 s; beat re-assigns a free shard every 5 s); dead letters per
# minute (mean of the last 5); Celery queue depth in messages; failed attempts of a pending SSM
# publish (a pending publish is amber at least).
HEALTH_THRESHOLDS = {
    "lag_ms": (env.int("HEALTH_LAG_AMBER_MS", default=5_000), env.int("HEALTH_LAG_RED_MS", default=60_000)),
    "checkpoint_age_s": (
        env.int("HEALTH_CHECKPOINT_AMBER_S", default=30),
        env.int("HEALTH_CHECKPOINT_RED_S", default=120),
    ),
    "heartbeat_age_s": (env.int("HEALTH_HEARTBEAT_AMBER_S", default=15), env.int("HEALTH_HEARTBEAT_RED_S", default=60)),
    "dead_letters_per_min": (
        env.int("HEALTH_DEAD_LETTERS_AMBER", default=1),
        env.int("HEALTH_DEAD_LETTERS_RED", default=60),
    ),
    "queue_depth": (env.int("HEALTH_QUEUE_AMBER", default=100), env.int("HEALTH_QUEUE_RED", default=1_000)),
    "ssm_failed_attempts": (env.int("HEALTH_SSM_FAILED_AMBER", default=1), env.int("HEALTH_SSM_FAILED_RED", default=3)),
    # The archive's lag: its buffer holds records up to ARCHIVE_BUFFER_SECONDS (Firehose: 300 s) by design.
    "archive_lag_s": (
        env.int("HEALTH_ARCHIVE_LAG_AMBER_S", default=int(ARCHIVE_BUFFER_SECONDS) + 120),
        env.int("HEALTH_ARCHIVE_LAG_RED_S", default=3 * int(ARCHIVE_BUFFER_SECONDS)),
    ),
}
# --- Support desk (support) ----------------------------------------------------------------
# SLA targets per priority, minutes: (first response, resolution). Managers may override a
# priority in the admin (Support > SLA policies); these are the defaults.
SUPPORT_SLA_MINUTES = {
    "URGENT": (env.int("SUPPORT_SLA_URGENT_FIRST", default=30), env.int("SUPPORT_SLA_URGENT_RESOLVE", default=4 * 60)),
    "HIGH": (env.int("SUPPORT_SLA_HIGH_FIRST", default=2 * 60), env.int("SUPPORT_SLA_HIGH_RESOLVE", default=24 * 60)),
    "NORMAL": (
        env.int("SUPPORT_SLA_NORMAL_FIRST", default=8 * 60),
        env.int("SUPPORT_SLA_NORMAL_RESOLVE", default=72 * 60),
    ),
    "LOW": (env.int("SUPPORT_SLA_LOW_FIRST", default=24 * 60), env.int("SUPPORT_SLA_LOW_RESOLVE", default=7 * 24 * 60)),
}
# A running clock this close to its due time is shown as "due soon".
SUPPORT_SLA_DUE_SOON_MINUTES = env.int("SUPPORT_SLA_DUE_SOON_MINUTES", default=60)
# A player's snapshot trail on the ticket page: a pause longer than this is marked as a gap,
# and two statuses closer than one frame of the original game (50 fps) are marked too fast.
TRAIL_GAP_SECONDS = env.int("TRAIL_GAP_SECONDS", default=30)
TRAIL_MIN_STATUS_INTERVAL_MS = env.int("TRAIL_MIN_STATUS_INTERVAL_MS", default=20)

# --- Live game events: WebSockets (Django Channels) ---------------------------------------
# One ASGI server (daphne) serves the pages, the APIs and the WebSockets (alienportal/asgi.py,
# routes in alienportal/routing.py). `daphne` first among the apps makes `manage.py runserver`
# that same server in development.
ASGI_APPLICATION = "alienportal.asgi.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{APP_NAME}:asgi"},
    }
}
# The WebSocket URL GET /v1/websocket hands the game (a signed ticket is appended); empty: this
# server as the request reached it (ws://, or wss:// behind TLS). Set it when a proxy renames the host.
GAME_WEBSOCKET_URL = env.str("GAME_WEBSOCKET_URL", default="")
# How long that URL admits its player: the game reconnects with it after a dropped connection.
GAME_WEBSOCKET_TICKET_SECONDS = env.int("GAME_WEBSOCKET_TICKET_SECONDS", default=3600)

# --- Dashboards: cost and capacity -------------------------------------------------------
# Cost and capacity dashboard. Prices in USD, us-east-1 public list prices checked 2026-11 (override
# per region or contract): Kinesis Data Streams provisioned mode, https://aws.amazon.com/kinesis/data-streams/pricing/
# ($0.015 per shard-hour, $0.014 per million 25 KB PUT payload units); S3 Standard,
# https://aws.amazon.com/s3/pricing/ ($0.023 per GB-month, $0.005 per 1,000 PUT requests).
AWS_PRICES = {
    "kinesis_shard_hour": env.float("PRICE_KINESIS_SHARD_HOUR", default=0.015),
    "kinesis_put_million_units": env.float("PRICE_KINESIS_PUT_MILLION_UNITS", default=0.014),
    "s3_gb_month": env.float("PRICE_S3_GB_MONTH", default=0.023),
    "s3_put_thousand": env.float("PRICE_S3_PUT_THOUSAND", default=0.005),
}
# Consumers reading every shard (the drain, and the raw archive's own consumer): they share the read limits.
CAPACITY_STREAM_CONSUMERS = env.int("CAPACITY_STREAM_CONSUMERS", default=2)
# Raw archive objects per shard and hour (one per minute), and gzip's size ratio on JSON snapshots.
CAPACITY_ARCHIVE_OBJECTS_PER_SHARD_HOUR = env.int("CAPACITY_ARCHIVE_OBJECTS_PER_SHARD_HOUR", default=60)
CAPACITY_ARCHIVE_COMPRESSION = env.float("CAPACITY_ARCHIVE_COMPRESSION", default=0.25)
# The reference session for sizing: the original's 150 seats, a record of about 150 bytes.
CAPACITY_SESSION_SEATS = env.int("CAPACITY_SESSION_SEATS", default=150)
CAPACITY_RECORD_BYTES = env.int("CAPACITY_RECORD_BYTES", default=150)

# --- Safe defaults (issue 14) ---------------------------------------------------------------
# Every entry point (manage.py, WSGI, Celery) defaults to local.py and its public development
# key: that key signs sessions only where DEBUG was switched on on purpose.
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "The development secret key is public: set DJANGO_DEBUG=true for development, or set "
        "DJANGO_SETTINGS_MODULE=alienportal.settings.production and a DJANGO_SECRET_KEY of your own."
    )
# --- Cheat flags (scoreboard) --------------------------------------------------------------
# Limits of the original game's client (application/game/js/alienattack.js in
# aws-samples/aws-alien-attack; README "Cheat flags" cites the lines). Managers change them
# through the environment; the drain reads them per batch.
CHEAT_MAX_SHOTS_PER_SECOND = env.float("CHEAT_MAX_SHOTS_PER_SECOND", default=2.0)  # rocketMaxFireRate
CHEAT_FIRE_RATE_SLACK_SHOTS = env.int("CHEAT_FIRE_RATE_SLACK_SHOTS", default=1)  # a shot at each end of a window
CHEAT_POINTS_PER_HIT = env.int("CHEAT_POINTS_PER_HIT", default=5)  # pointsPerInvader
CHEAT_LEVEL_BONUS = env.int("CHEAT_LEVEL_BONUS", default=50)  # score += level * 50 on clearing a level
CHEAT_INVADERS_PER_LEVEL = env.int("CHEAT_INVADERS_PER_LEVEL", default=50)  # invaderRanks x invaderFiles
CHEAT_MIN_STATUS_INTERVAL_MS = env.int("CHEAT_MIN_STATUS_INTERVAL_MS", default=10)  # half a frame at 50 fps
CHEAT_CLOCK_SKEW_SECONDS = env.int("CHEAT_CLOCK_SKEW_SECONDS", default=5)
# On by default: on PostgreSQL the drain screens each batch in SQL and checks only suspects in
# Python; `make bench` prints what the rules cost (README "Cheat flags").
CHEAT_RULES_ENABLED = env.bool("CHEAT_RULES_ENABLED", default=True)
