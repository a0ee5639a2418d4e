"""Minimal settings for the django-health-check 3.x run (no database, in-memory cache)."""

SECRET_KEY = "hc3-tests-only-secret-key-long-enough-to-be-taken-seriously-0123456789"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "health_check",
    "heroku_connect",
    "heroku_connect.contrib.heroku_connect_health_check",
]
DATABASES: dict = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
HEROKU_CONNECT_APP_NAME = "hcop-test"
HEROKU_AUTH_TOKEN = ""
