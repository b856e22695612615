"""Django settings, all read from the environment through ``cymmetri.env``."""

from pathlib import Path

from celery.schedules import crontab
from kombu import Exchange, Queue

from cymmetri.env import (
    env_aead_keys,
    env_bool,
    env_choice,
    env_database,
    env_hostports,
    env_int,
    env_list,
    env_networks,
    env_ports,
    env_rate,
    env_secret,
    env_str,
    load_dotenv,
)
from smtp_integration.transport.types import TlsMode

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
FIELD_ENCRYPTION_KEYS = env_aead_keys("FIELD_ENCRYPTION_KEYS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1" if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Links in emails and printed by commands: "{domain}" is the tenant's domain.
TENANT_URL_TEMPLATE = env_str("TENANT_URL_TEMPLATE", "https://{domain}")

# --- applications -----------------------------------------------------------------------------

SHARED_APPS = [
    # Before django_tenants, whose own create_tenant command would otherwise win over ours.
    "tenants",
    "django_tenants",
    "audit",
    # The outbox is one public table for every tenant (mailer.models.OutboundEmail).
    "mailer",
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # Health, readiness, metrics, heartbeats and retention: no models of its own.
    "operations",
    # The API's documentation page and its assets, served from here (no CDN).
    "ninja",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts",
    "smtp_integration",
    "deliverability",
    "email_templates",
    "api",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "cymmetri.urls_public"
ROOT_URLCONF = "cymmetri.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# SET search_path once after each switch of schema, not before every query (a round trip
# each); a switch, a rollback or a new connection sets it again.
TENANT_LIMIT_SET_CALLS = True
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # /healthz, /readyz and /metrics answer on any host name, before the tenant lookup,
    # sessions and ALLOWED_HOSTS: probes call pods by IP address.
    "operations.middleware.OperationsEndpointsMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cymmetri.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                "cymmetri.context_processors.tenant",
            ],
        },
    },
]

WSGI_APPLICATION = "cymmetri.wsgi.application"

# --- data ---------------------------------------------------------------------------------------

DATABASES = {"default": env_database("DATABASE_URL")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "cymmetri")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # Keys carry the schema, so one tenant never reads another's cache entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- auth and sessions --------------------------------------------------------------------------

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 86400, min_value=300)
# Sessions live in each schema's own table: a cookie from one tenant's domain is unknown
# on another's. A shared cookie domain would also break logins in Chromium on *.localhost.
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, min_value=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", False) else None
)

# --- email: the platform default SMTP and the policy for tenants' own servers ------------------

PLATFORM_SMTP_HOST = env_str("PLATFORM_SMTP_HOST")
PLATFORM_SMTP_PORT = env_int("PLATFORM_SMTP_PORT", 587, min_value=1, max_value=65535)
PLATFORM_SMTP_TLS_MODE = env_choice("PLATFORM_SMTP_TLS_MODE", TlsMode.values, TlsMode.STARTTLS)
PLATFORM_SMTP_USERNAME = env_str("PLATFORM_SMTP_USERNAME", "")
PLATFORM_SMTP_PASSWORD = env_secret("PLATFORM_SMTP_PASSWORD") if PLATFORM_SMTP_USERNAME else ""
PLATFORM_EMAIL_DOMAIN = env_str("PLATFORM_EMAIL_DOMAIN")
PLATFORM_SMTP_RATE_LIMIT = env_rate("PLATFORM_SMTP_RATE_LIMIT", "300/hour")
# Requests per API token (/api/v1/), counted in Redis; over it, 429 with Retry-After.
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "600/minute")
SMTP_ALLOWED_PORTS = env_ports("SMTP_ALLOWED_PORTS", "25,465,587,2525")
SMTP_ALLOWED_PRIVATE_NETWORKS = env_networks("SMTP_ALLOWED_PRIVATE_NETWORKS")
SMTP_ALLOW_PLAINTEXT = env_bool("SMTP_ALLOW_PLAINTEXT", False)
SMTP_CA_FILE = env_str("SMTP_CA_FILE", None)
# Development only: the local mail catcher as a tenant's SMTP preset, let through the policy
# (its address, its port, TLS mode "none": smtp_integration.selectors.smtp_policy).
# Ignored unless DEBUG.
DEV_MAIL_CATCHER = next(iter(env_hostports("DEV_MAIL_CATCHER")), "")
DELIVERABILITY_NAMESERVERS = env_hostports("DELIVERABILITY_NAMESERVERS")
# OAuth 2.0 sign-in to tenants' SMTP: the token endpoints of Microsoft and Google, and the
# HTTPS ports token endpoints may use (the same address rules as SMTP hosts apply).
OAUTH_MICROSOFT_AUTHORITY = env_str(
    "OAUTH_MICROSOFT_AUTHORITY", "https://login.microsoftonline.com"
)
OAUTH_GOOGLE_TOKEN_URL = env_str("OAUTH_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
OAUTH_ALLOWED_PORTS = env_ports("OAUTH_ALLOWED_PORTS", "443")

# The outbox: how long a worker may hold an email, and how retries back off.
MAILER_LEASE_SECONDS = env_int("MAILER_LEASE_SECONDS", 20, min_value=2)
# Seconds one step (a tenant's emails in one transaction) may send before it gives the rest
# back: a Save or toggle waits for the step in progress, at most this long.
MAILER_STEP_SECONDS = env_int("MAILER_STEP_SECONDS", 10, min_value=1)
MAILER_RETRY_BASE_SECONDS = float(env_str("MAILER_RETRY_BASE_SECONDS", "30"))
MAILER_RETRY_MAX_SECONDS = env_int("MAILER_RETRY_MAX_SECONDS", 1800, min_value=1)
MAILER_MAX_ATTEMPTS = env_int("MAILER_MAX_ATTEMPTS", 8, min_value=1, max_value=50)
MAILER_SWEEP_SECONDS = env_int("MAILER_SWEEP_SECONDS", 5, min_value=1)

# --- Celery (tenant-schemas-celery: the schema rides in task headers) ------------------------

CELERY_BROKER_URL = REDIS_URL
# Redis, with workers that survive a broker restart (cymmetri/broker.py).
CELERY_BROKER_TRANSPORT = "cymmetri.broker:Transport"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker as shipped: `make run`, docker-compose and the docs all start
# `celery -A cymmetri worker`, which takes its pool and concurrency from here
# (bench/mailer_throughput.py measures this configuration).
CELERY_WORKER_POOL = env_choice("CELERY_WORKER_POOL", ["threads", "prefork", "solo"], "threads")
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 8, min_value=1, max_value=256)
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "cymmetri")
# Test connection and deliverability checks wait on other people's servers (up to 20 s): they
# have a queue of their own, so a mail backlog never delays them, nor they the mail.
CELERY_PROBE_QUEUE = env_str("CELERY_PROBE_QUEUE", "cymmetri-probes")
CELERY_TASK_ROUTES = ("cymmetri.celery.task_route",)
# A worker started without -Q consumes both (make run); production may run one for each.
# Each bound to an exchange and key of its own name (left out, both would share the default
# queue's binding and receive its messages).
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_PROBE_QUEUE)
)
# Beat records each tick in Redis, for /readyz?deep=1 and `manage.py mailer_status`.
CELERY_BEAT_SCHEDULER = "cymmetri.heartbeat:HeartbeatScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long waits live in the database (next_attempt_at), never as broker countdowns.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # With Redis down, send_email() must not hang its caller: one quick retry to publish,
    # then the row waits in the database and the sweeper catches up later.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Recovers emails of dead workers and wakes workers for emails now due (retries, turns
    # under a rate limit): one query, whatever the number of tenants.
    "mailer-sweep": {
        "task": "mailer.tasks.email_sweep_task",
        "schedule": MAILER_SWEEP_SECONDS,
    },
    # Daily SPF/DKIM/DMARC re-check of every tenant's From domain (one task per tenant);
    # a change from green to red is audited and shown on the Email SMTP status card.
    "deliverability-daily": {
        "task": "deliverability.tasks.domain_dns_check_dispatch_task",
        "schedule": crontab(hour=4, minute=17),
    },
    # Deletes finished outbox rows, old connection tests and expired sessions, in batches.
    "retention-daily": {
        "task": "operations.tasks.retention_task",
        "schedule": crontab(hour=3, minute=41),
    },
}

# --- operations: health, heartbeats, metrics, retention --------------------------------------

# Bearer token for /metrics and /readyz?deep=1; without it both answer 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Where prometheus_client's multiprocess mode keeps each process's counters: web, worker
# and beat processes of one host (or pod) share it, and /metrics adds them up. Empty: each
# process counts alone (development without it).
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
# A worker renews its heartbeat every third of this; a worker silent this long is dead.
HEARTBEAT_TTL_SECONDS = env_int("HEARTBEAT_TTL_SECONDS", 30, min_value=3, max_value=600)
# mailer_status and /readyz?deep=1 call the outbox late when its oldest due email waits longer.
OPS_OUTBOX_LAG_SECONDS = env_int("OPS_OUTBOX_LAG_SECONDS", 60, min_value=1)
# Days finished outbox rows and connection-test rows are kept; sessions go when they expire.
RETENTION_OUTBOX_DAYS = env_int("RETENTION_OUTBOX_DAYS", 30, min_value=1)
RETENTION_CONNECTION_TESTS_DAYS = env_int("RETENTION_CONNECTION_TESTS_DAYS", 30, min_value=1)
# Rows per DELETE: each batch is its own short transaction.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, min_value=1, max_value=100_000)
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0"))

# --- the rest ----------------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
# The languages transactional emails are written in (email_templates.locales); the pages
# themselves are in English.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# json: one JSON object per line (for a log shipper); plain: for people.
LOG_FORMAT = env_choice("LOG_FORMAT", ["plain", "json"], "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # aiosmtpd (the development mail catcher) logs every SMTP command at INFO.
        "mail.log": {"level": "WARNING"},
    },
}

if PROMETHEUS_MULTIPROC_DIR:
    # prometheus_client reads it from the environment (a value from .env lands there too).
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
if SENTRY_DSN:
    from cymmetri.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE
    )
