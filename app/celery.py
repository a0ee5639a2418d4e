"""The Celery application (``celery -A app worker`` / ``celery -A app beat``)."""

import os

from celery import Celery

from app.health.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.development")

app = Celery("app")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes a heartbeat that /health/ reads (a busy worker is not a dead one).
app.steps["consumer"].add(WorkerHeartbeat)
