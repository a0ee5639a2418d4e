"""Celery settings (the broker and result URLs come from REDIS_URL in base.py)."""

from datetime import timedelta

CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Worker heartbeat read by /health/ (app/health/heartbeat.py): written every 5 s; the workers
# count as gone after 30 s without one (a busy worker keeps beating).
HEALTH_WORKER_HEARTBEAT_SECONDS = 5
HEALTH_WORKER_STALE_SECONDS = 30
# Tasks are registered by the dashboard apps; each app adds its entries in its own module.
CELERY_BEAT_SCHEDULE: dict = {}

# Operator dashboard II (app.connections): status refresh and recovery of abandoned imports.
CELERY_BEAT_SCHEDULE["connections-refresh-status"] = {
    "task": "connections.refresh_status",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["connections-recover-imports"] = {
    "task": "connections.recover_imports",
    "schedule": timedelta(minutes=2),
}

# Operator dashboard I (app.dashboard): auto-retry of transient write failures (no-op when the
# policy is disabled; the policy and its backoff live in the database).
CELERY_BEAT_SCHEDULE["dashboard-autoretry"] = {
    "task": "dashboard.autoretry",
    "schedule": timedelta(minutes=1),
}

# Operator dashboard I (app.dashboard): rebuild the error-group and error-rate summaries.
CELERY_BEAT_SCHEDULE["dashboard-refresh-stats"] = {
    "task": "dashboard.refresh_stats",
    "schedule": timedelta(minutes=2),
}

# Operator dashboard I (app.dashboard): resume bulk retry/ignore jobs whose worker died.
CELERY_BEAT_SCHEDULE["dashboard-recover-bulk-jobs"] = {
    "task": "dashboard.recover_bulk_jobs",
    "schedule": timedelta(minutes=1),
}
