"""The one place that reads the process environment for the Django settings.

Every function here is pure (it takes the environment mapping as an argument) so that the
parsing rules can be tested without touching ``os.environ``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from heroku_connect.db.database_url import (
    DatabaseURLError,
    NotPostgresURLError,
    parse_database_url,
)

DATABASE_ENGINE = "heroku_connect.db.backends.postgresql"

Environ = Mapping[str, str]


def env() -> Environ:
    return os.environ


def get_bool(environ: Environ, name: str, default: bool = False) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}.")


def get_int(environ: Environ, name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None


def get_list(environ: Environ, name: str, default: list[str] | None = None) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def web_statement_timeout_ms(environ: Environ, default_seconds: float = 25) -> int:
    """``WEB_STATEMENT_TIMEOUT`` (seconds, decimals allowed; 0 turns it off) in milliseconds.

    PostgreSQL's ``statement_timeout`` for the web process only: below the Heroku router's 30 s,
    so a runaway query ends with a clear page instead of a router timeout. Celery workers and
    beat are not limited by it.
    """
    raw = environ.get("WEB_STATEMENT_TIMEOUT")
    if raw is None or raw.strip() == "":
        return int(default_seconds * 1000)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 24 * 3600:
        raise ImproperlyConfigured(
            f"WEB_STATEMENT_TIMEOUT must be a number of seconds (0 turns it off), got {raw!r}."
        )
    return int(seconds * 1000)


def running_on_heroku(environ: Environ) -> bool:
    """Heroku dynos set ``DYNO``; Heroku CI sets ``CI`` too, and runs against in-dyno services."""
    return bool(environ.get("DYNO")) and not environ.get("CI")


def require(environ: Environ, name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def database_config(url: str, *, on_heroku: bool) -> dict[str, Any]:
    """Parse ``DATABASE_URL`` into Django's DATABASES entry with the Heroku Connect engine.

    Every URL form is read by :func:`heroku_connect.db.database_url.parse_database_url` (the
    one parser; socket directories, no host, percent-encoded credentials, ``postgis://``).
    SSL is required only on Heroku: a local server without SSL would otherwise refuse us.
    """
    try:
        config = parse_database_url(url)
    except NotPostgresURLError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// or postgresql:// URL (got scheme {exc.scheme!r})."
        ) from None
    except DatabaseURLError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}.") from None
    if not config["NAME"]:
        raise ImproperlyConfigured("DATABASE_URL must name a database (…/dbname).")
    config.update(
        ENGINE=DATABASE_ENGINE,
        CONN_MAX_AGE=600 if on_heroku else 0,
        CONN_HEALTH_CHECKS=on_heroku,
        DISABLE_SERVER_SIDE_CURSORS=False,
    )
    if on_heroku:
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "sslmode": "require"}
    return config


def redis_url_is_tls(url: str) -> bool:
    return urlsplit(url).scheme == "rediss"


def redis_settings(url: str) -> dict[str, Any]:
    """Celery broker/backend and Django cache settings for ``REDIS_URL``.

    Heroku Key-Value Store serves ``rediss://`` with a self-signed certificate, so every client
    must disable certificate verification explicitly (broker *and* result backend).
    """
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix", "redis+socket"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must be a redis://, rediss:// or unix:// URL (got scheme {parts.scheme!r})."
        )
    if parts.scheme in {"redis", "rediss"}:
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ImproperlyConfigured("REDIS_URL has an invalid port.") from None
        if not parts.hostname:
            raise ImproperlyConfigured("REDIS_URL must name a host.")
    tls = parts.scheme == "rediss"
    cache_url = url
    broker_url = url
    if parts.scheme in {"unix", "redis+socket"}:
        path = parts.path
        cache_url = f"unix://{path}"
        broker_url = f"redis+socket://{path}"
    cache_options: dict[str, Any] = {"ssl_cert_reqs": None} if tls else {}
    settings: dict[str, Any] = {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": cache_url,
                "OPTIONS": cache_options,
                "KEY_PREFIX": "hcop",
            }
        },
        "REDIS_CLIENT_KWARGS": {"ssl_cert_reqs": None} if tls else {},
    }
    if tls:
        settings["CELERY_BROKER_USE_SSL"] = {"ssl_cert_reqs": ssl.CERT_NONE}
        settings["CELERY_REDIS_BACKEND_USE_SSL"] = {"ssl_cert_reqs": ssl.CERT_NONE}
    return settings
