"""LeadResponse settings: one module, configured from the environment.

Unset, every variable has a safe local default (SQLite, an embedded broker, e-mail on the
console). With DEBUG=False the project is in production mode and refuses to start without a
real SECRET_KEY and ALLOWED_HOSTS. README.md lists every variable with its default.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state for the default setup: broker folders, beat schedule

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
PRODUCTION = not DEBUG

_DEV_SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - refused in production
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])

if PRODUCTION:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production mode (DEBUG=False) needs SECRET_KEY: a random value of 50+ characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode (DEBUG=False) needs ALLOWED_HOSTS, e.g. leads.example.com."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "leads",
    "metrics",
]

MIDDLEWARE = [
    "log_request_id.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadresponse.urls"
WSGI_APPLICATION = "leadresponse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leads.context_processors.roles",
                "leads.context_processors.escalation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one file locally: WAL lets readers run beside the
    # writer, and IMMEDIATE transactions queue writers instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Intake is the hot path: keep connections open between requests.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, sweep heartbeat) -----------------------------------------------
# Several web processes must share rate-limit counters, so production points this at Redis.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://leadresponse")}

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses logins for a locked-out username or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: locked per username and, separately, per client address, so guessing one
# account from many addresses and many accounts from one address are both stopped. A
# lockout says the same for existing and unknown usernames.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "leads:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)  # one working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Time -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG  # serve from the app folders without collectstatic locally

# --- E-mail -----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LeadResponse <leads@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Celery -----------------------------------------------------------------------------
# Locally the broker is kombu's filesystem transport in var/broker: no server to run.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Timers live in the database (docs/architecture.md), so no task waits in Redis for long.
    # A task unacknowledged this long is delivered again; every task is idempotent.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
# The reviewed list of periodic tasks. Each one is idempotent and cheap when nothing is due.
# The escalation sweep runs often so a step lands within seconds of its due time; it is one
# indexed query when nothing is due. Two beats running by mistake are harmless (row locks).
LEADS_SWEEP_INTERVAL_SECONDS = env.float("LEADS_SWEEP_INTERVAL_SECONDS", default=5)
LEADS_DELIVERY_INTERVAL_SECONDS = env.float("LEADS_DELIVERY_INTERVAL_SECONDS", default=1)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "escalate-due-leads": {
        "task": "leads.tasks.escalate_due_leads",
        "schedule": timedelta(seconds=LEADS_SWEEP_INTERVAL_SECONDS),
        # A sweep not started by the next one is pointless: the next one does its work.
        "options": {"expires": LEADS_SWEEP_INTERVAL_SECONDS},
    },
    # The outbox's sender: a new lead's rep hears of it within about this interval. Intake
    # publishes nothing per lead (a broker round trip on the hot path), and a lost or
    # unpublished message delays nothing beyond the next run.
    "deliver-notifications": {
        "task": "leads.tasks.deliver_notifications",
        "schedule": timedelta(seconds=LEADS_DELIVERY_INTERVAL_SECONDS),
        "options": {"expires": LEADS_DELIVERY_INTERVAL_SECONDS},
    },
    # An upload whose task was lost (broker down at the time) is picked up here.
    "import-stalled-files": {
        "task": "leads.tasks.import_stalled_files",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
}

# --- The product ------------------------------------------------------------------------
# Durations accept s, m, h (e.g. "60m"); parsed by leads.durations.parse_duration.
LEADS_RESPONSE_TARGET = env.str("LEADS_RESPONSE_TARGET", default="60m")
# Intake limits (leads.api.intake, leads.views_intake): requests per key or token, and
# hosted-form posts per client address; DRF's "<n>/<s|min|hour|day>" syntax.
# Routing rules, the default team and active webhooks are cached per web process (leads.
# process_cache): a change made in one process applies in the others within this many seconds.
LEADS_PROCESS_CACHE_SECONDS = env.float("LEADS_PROCESS_CACHE_SECONDS", default=5)
LEADS_API_RATE_LIMIT = env.str("LEADS_API_RATE_LIMIT", default="600/min")
LEADS_FORM_RATE_LIMIT = env.str("LEADS_FORM_RATE_LIMIT", default="20/hour")
LEADS_FORM_MIN_FILL_SECONDS = env.int("LEADS_FORM_MIN_FILL_SECONDS", default=3)
# The escalation ladder (leads.escalation): reminder before respond-by, reassignment after
# it, the fresh clock a new owner gets, and how many reassignments go to reps before the
# team's manager takes the lead.
LEADS_REMINDER_BEFORE = env.str("LEADS_REMINDER_BEFORE", default="15m")
LEADS_REASSIGN_AFTER = env.str("LEADS_REASSIGN_AFTER", default="30m")
LEADS_REASSIGN_TARGET = env.str("LEADS_REASSIGN_TARGET", default="15m")
LEADS_MAX_REASSIGNMENTS = env.int("LEADS_MAX_REASSIGNMENTS", default=2)
# The health check reports escalations as stale (503, managers' banner) after this long
# without a completed sweep: a few missed intervals, not one slow one.
LEADS_SWEEP_STALE_AFTER = env.str("LEADS_SWEEP_STALE_AFTER", default="60s")
# An outbox row being sent is leased for this long: a worker killed mid-send leaves it to be
# retried after the lease, not after the broker's visibility timeout.
LEADS_DELIVERY_LEASE = env.str("LEADS_DELIVERY_LEASE", default="90s")

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["leads.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["leads.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "leads.api.negotiation.AnyAcceptedFirst",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "leads.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadResponse API",
    "DESCRIPTION": "Post inbound leads, follow them up, and read the response metrics.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {"CloseReasonEnum": "leads.models.Lead.CloseReason"},
}

# --- Production hardening ---------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content Security Policy (django-csp): no inline script or style anywhere, nothing from
# another origin. Only the hosted lead form may be framed, by LEADS_FORM_FRAME_ANCESTORS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
LEADS_FORM_FRAME_ANCESTORS = env.list("LEADS_FORM_FRAME_ANCESTORS", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Request ids: taken from X-Request-ID when a proxy sets one, generated otherwise, echoed
# in the response and attached to every log line of the request.
LOG_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
NO_REQUEST_ID = "-"

# JSON lines in production (one object a line, for a log pipeline), plain text locally.
# Log calls never pass API keys, tokens or a prospect's message as arguments.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "log_request_id.filters.RequestIDFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; lockouts, which matter, come at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
