"""The dependencies /health/ checks, each under a stable, human name.

django-health-check names a check by its ``repr`` (the JSON key, the HTML row, the text line,
the feeds) and labels its metrics with its dataclass fields: the stock checks would show a
Celery app's memory address, Redis' host, port and database index. Each check here is named
``database``, ``cache``, ``redis``, ``celery`` or ``heroku_connect`` instead, and its messages
name no host, port, database index or URL: ``/health/`` needs no login.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from django.conf import settings
from django.db import Error as DatabaseError
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable

from heroku_connect.contrib.heroku_connect_health_check.backends import HerokuConnectHealthCheck

from . import heartbeat

__all__ = (
    "CacheCheck",
    "CeleryCheck",
    "DatabaseCheck",
    "HerokuConnectCheck",
    "RedisCheck",
    "health_checks",
    "heroku_connect_configuration_problem",
)

#: Seconds the Redis ping may take (connecting and answering).
REDIS_TIMEOUT = 3


class NamedCheck:
    """Mixin: the check's fixed ``name`` is its repr and its only metrics label."""

    name: ClassVar[str]

    def __repr__(self) -> str:
        return self.name

    @property
    def labels(self) -> dict[str, str]:
        return {"check": self.name}


@dataclasses.dataclass(repr=False)
class DatabaseCheck(NamedCheck, Database):
    """``SELECT 1`` on the default database; a failure names the error class, not the server."""

    name: ClassVar[str] = "database"

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable as error:
            # psycopg's text names the host and port ("connection to server at ... failed").
            if isinstance(error.__cause__, DatabaseError):
                kind = type(error.__cause__).__name__
                raise ServiceUnavailable(f"Database unavailable ({kind})") from error
            raise


@dataclasses.dataclass(repr=False)
class CacheCheck(NamedCheck, Cache):
    """Set and get a key in the default cache (Redis)."""

    name: ClassVar[str] = "cache"


def redis_client_factory() -> Any:
    """An asyncio client for REDIS_URL with short timeouts (``rediss://``: no certificate check,
    as Heroku's Redis requires)."""
    from redis.asyncio import Redis as AsyncRedis

    return AsyncRedis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        **settings.REDIS_CLIENT_KWARGS,
    )


@dataclasses.dataclass(repr=False)
class RedisCheck(NamedCheck, Redis):
    """PING on REDIS_URL (the broker and the cache)."""

    name: ClassVar[str] = "redis"


@dataclasses.dataclass(repr=False)
class CeleryCheck(NamedCheck, HealthCheck):
    """A Celery worker wrote its heartbeat recently (see :mod:`app.health.heartbeat`).

    A busy worker keeps beating, so it is not reported unavailable; a dead one is after
    ``HEALTH_WORKER_STALE_SECONDS``.
    """

    name: ClassVar[str] = "celery"

    async def run(self) -> None:
        try:
            age = await heartbeat.aheartbeat_age()
        except Exception as error:
            raise ServiceUnavailable(
                "Celery workers not known: the cache holding their heartbeat is unavailable"
            ) from error
        if age is None:
            raise ServiceUnavailable("Celery workers unavailable: no worker heartbeat")
        if age > heartbeat.stale_after():
            raise ServiceUnavailable(f"Celery workers unavailable: last heartbeat {age:.0f} s ago")


def heroku_connect_configuration_problem() -> str | None:
    """What keeps /health/ from watching Heroku Connect (no app name, no token), or None."""
    missing = []
    if not getattr(settings, "HEROKU_CONNECT_APP_NAME", ""):
        missing.append(
            "no app name (set HEROKU_CONNECT_APP_NAME: heroku config:set "
            "HEROKU_CONNECT_APP_NAME=<app>; Heroku sets HEROKU_APP_NAME only with the "
            "runtime-dyno-metadata lab)"
        )
    if not getattr(settings, "HEROKU_AUTH_TOKEN", ""):
        missing.append("no API token (set HEROKU_CONNECT_API_TOKEN)")
    if not missing:
        return None
    return "Heroku Connect is not watched: " + " and ".join(missing)


@dataclasses.dataclass(repr=False)
class HerokuConnectCheck(NamedCheck, HerokuConnectHealthCheck):
    """The library's check (state table, shared API answers); says so when it cannot watch."""

    name: ClassVar[str] = "heroku_connect"

    def run(self) -> None:
        problem = heroku_connect_configuration_problem()
        if problem is not None:
            raise ServiceUnavailable(problem)
        super().run()


def health_checks() -> list[Any]:
    """The checks of /health/, listed explicitly (django-health-check 4.x)."""
    return [
        DatabaseCheck,
        CacheCheck,
        (RedisCheck, {"client_factory": redis_client_factory}),
        CeleryCheck,
        HerokuConnectCheck,
    ]
