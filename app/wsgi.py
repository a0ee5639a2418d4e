"""WSGI entry point for gunicorn (and runserver): the web process, with bounded statements."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.production")

application = get_wsgi_application()

from app.core.db import limit_web_statements  # noqa: E402 (needs the settings loaded above)

limit_web_statements()
