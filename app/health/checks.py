"""The dependencies /health/ checks, listed explicitly (django-health-check 4.x)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings


def redis_client_factory() -> Any:
    """An asyncio Redis client for REDIS_URL; ``rediss://`` skips certificate checks (Heroku)."""
    from redis.asyncio import Redis

    return Redis.from_url(settings.REDIS_URL, **settings.REDIS_CLIENT_KWARGS)


def health_checks() -> list[Any]:
    from app.celery import app as celery_app

    checks: list[Any] = [
        "health_check.checks.Database",
        "health_check.checks.Cache",
        (
            "health_check.contrib.celery.Ping",
            {"app": celery_app, "timeout": datetime.timedelta(seconds=3), "limit": 1},
        ),
        ("health_check.contrib.redis.Redis", {"client_factory": redis_client_factory}),
        # Connections and mappings through the Heroku Connect API (the simulator in the demo).
        "heroku_connect.contrib.heroku_connect_health_check.backends.HerokuConnectHealthCheck",
    ]
    return checks
