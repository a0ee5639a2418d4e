"""Local development (``make demo``): DEBUG on unless asked otherwise, an insecure key allowed."""

from .base import *
from .environment import get_bool

DEBUG = get_bool(ENV, "DEBUG", default=True)
SECRET_KEY = ENV.get("SECRET_KEY") or "django-insecure-local-development-only-never-deploy-this-key"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
