"""Test settings: a real PostgreSQL (DATABASE_URL / TEST_DATABASE_URL), Celery in memory."""

import os

from .base import *
from .environment import database_config

SECRET_KEY = "test-only-secret-key-that-is-long-enough-to-be-taken-seriously-0123456789"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_test_url = os.environ.get("TEST_DATABASE_URL") or DATABASE_URL
DATABASES = {"default": database_config(_test_url, on_heroku=False)}
# Each concurrent run may name its own test database (several developers on one server).
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("HCOP_TEST_DB_NAME", "test_hcop")}

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests that need a worker start a real one (celery.contrib.testing) on in-memory transports.
CELERY_BROKER_URL = "memory://localhost/"  # with a host: kombu warns without one
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_BROKER_USE_SSL = None
CELERY_REDIS_BACKEND_USE_SSL = None

# The test database gets Heroku Connect's development schema (capture triggers, hc_capture_*
# functions), not the library's default tables-only schema: the app's tests rely on captures.
HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA = True

CACHES["default"]["KEY_PREFIX"] = f"hcop-{DATABASES['default']['TEST']['NAME']}"

# Test modules of the library define throw-away models under isolate_apps in this app.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.heroku_connect.apps.HerokuConnectTestsConfig"]

# API retries wait milliseconds, not seconds (tests of the backoff set their own values).
HEROKU_CONNECT_API_RETRY_BACKOFF = 0.02

# No collectstatic in tests: WhiteNoise looks files up per request instead of warning.
WHITENOISE_AUTOREFRESH = True
