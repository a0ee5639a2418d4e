"""Settings shared by every environment. Values come from ``environment.py``."""

from __future__ import annotations

from pathlib import Path

from .environment import (
    database_config,
    env,
    get_bool,
    get_int,
    get_list,
    redis_settings,
    running_on_heroku,
    web_statement_timeout_ms,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = env()
ON_HEROKU = running_on_heroku(ENV)

DEBUG = get_bool(ENV, "DEBUG", default=False)
ALLOWED_HOSTS = get_list(ENV, "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = get_list(ENV, "CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "health_check",
    "axes",
    "heroku_connect",
    "app.core",
    "app.salesforce",
    "app.dashboard",
    "app.audit",
    "app.connections",
    "app.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "app.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "app.core.middleware.StatementTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into our 429 page
]

ROOT_URLCONF = "app.urls"
WSGI_APPLICATION = "app.wsgi.application"

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
                "app.connections.setup.setup_banner",
            ],
        },
    },
]

DATABASE_URL = ENV.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/heroku_connect_operator")
DATABASES = {"default": database_config(DATABASE_URL, on_heroku=ON_HEROKU)}
# PostgreSQL statement_timeout of the web process only (installed by app/wsgi.py), in ms.
WEB_STATEMENT_TIMEOUT_MS = web_statement_timeout_ms(ENV)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = ENV.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_redis = redis_settings(REDIS_URL)
CACHES = _redis["CACHES"]
REDIS_CLIENT_KWARGS = _redis["REDIS_CLIENT_KWARGS"]

from .celery import *  # noqa: E402

CELERY_BROKER_URL = _redis["CELERY_BROKER_URL"]
CELERY_RESULT_BACKEND = _redis["CELERY_RESULT_BACKEND"]
if "CELERY_BROKER_USE_SSL" in _redis:
    CELERY_BROKER_USE_SSL = _redis["CELERY_BROKER_USE_SSL"]
    CELERY_REDIS_BACKEND_USE_SSL = _redis["CELERY_REDIS_BACKEND_USE_SSL"]

from .heroku_connect import *  # noqa: E402

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses locked-out logins before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
from .login_throttle import *  # noqa: E402

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

SECURE_REDIRECT_EXEMPT = [r"^health/"]
# Scripts only from our own static files (the templates have no inline scripts); styles may be
# inline (Django's admin uses style attributes).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

LOG_LEVEL = ENV.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes logs every login at INFO; lockouts and failures stay (WARNING).
        "axes": {"level": "WARNING"},
    },
}

# The dashboard's own tunables.
DASHBOARD_PAGE_SIZE = get_int(ENV, "DASHBOARD_PAGE_SIZE", 50)
# Seconds a retry/ignore confirmation page stays valid (its signed scope expires afterwards).
DASHBOARD_CONFIRMATION_MAX_AGE = get_int(ENV, "DASHBOARD_CONFIRMATION_MAX_AGE", 30 * 60)
# Retries/ignores of at least this many FAILED rows run as a Celery job (app.dashboard.bulk), in
# batches of DASHBOARD_BULK_BATCH_SIZE rows, each batch one transaction.
DASHBOARD_BULK_JOB_THRESHOLD = get_int(ENV, "DASHBOARD_BULK_JOB_THRESHOLD", 200_000)
DASHBOARD_BULK_BATCH_SIZE = get_int(ENV, "DASHBOARD_BULK_BATCH_SIZE", 10_000)
DASHBOARD_BULK_SLICE_SECONDS = 20  # one task run, then it re-enqueues itself
DASHBOARD_BULK_STALE_SECONDS = 120  # no heartbeat for this long: beat hands the job to a new run
DASHBOARD_BULK_MAX_ATTEMPTS = 5  # worker runs (claims) before the job fails
# Bearer token for /api/*.json (scripts, monitors); empty disables token access.
DASHBOARD_API_TOKEN = ENV.get("DASHBOARD_API_TOKEN", "")
