"""One reading of PostgreSQL database URLs, for Django settings and for libpq alike.

Everything that takes a database URL (the project's settings, ``load_remote_schema``, the
simulator, the benchmarks) goes through :func:`parse_database_url`, so they all accept the same
forms, the ones dj-database-url accepts for PostgreSQL:

- schemes ``postgres://``, ``postgresql://``, ``pgsql://`` and ``postgis://``;
- user names and passwords percent-encoded (``p%40ss`` is ``p@ss``), or no user at all;
- a host name, an IPv4 address, ``[IPv6]``, or no host (libpq's default: ``PGHOST`` or the
  default socket directory);
- a Unix socket directory as the host, percent-encoded (``postgres://u@%2Fvar%2Frun/db``) or as
  the ``?host=/var/run`` query parameter;
- an optional port; query parameters as connection options (``?sslmode=require``,
  ``?options=-c%20search_path%3Dsalesforce``, ``?currentSchema=salesforce``).

One deliberate difference: dj-database-url lower-cases the host, which breaks socket directories
with capitals in their path; here the host keeps its case (host names are case-insensitive).

:func:`connection_params` turns a Django ``DATABASES`` entry into libpq keywords the way
Django's PostgreSQL backend does, so a URL reaches the same server through Django, psycopg and
``pg_dump``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

#: URL schemes of PostgreSQL servers (``postgis`` is PostgreSQL with the PostGIS extension).
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql", "postgis"})

#: ``OPTIONS`` keys that Django's backend consumes itself and never passes to libpq.
DJANGO_ONLY_OPTIONS = frozenset(
    {"assume_role", "isolation_level", "pool", "server_side_binding", "prepare_threshold"}
)


class DatabaseURLError(ValueError):
    """The URL cannot be read. The message never repeats the URL (it may hold a password)."""


class NotPostgresURLError(DatabaseURLError):
    """The URL's scheme is not one of :data:`POSTGRES_SCHEMES`."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        super().__init__(
            f"not a PostgreSQL URL (scheme {scheme!r}; expected one of "
            f"{', '.join(sorted(POSTGRES_SCHEMES))})"
        )


def _option_value(value: str) -> int | bool | str:
    """Query values typed as dj-database-url types them: digits → int, true/false → bool."""
    if value.isdigit():
        return int(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def parse_database_url(url: str) -> dict[str, Any]:
    """``NAME``, ``USER``, ``PASSWORD``, ``HOST``, ``PORT`` (and ``OPTIONS``) of a URL.

    The keys and values are those of a Django ``DATABASES`` entry without ``ENGINE`` and
    connection-lifetime settings; ``OPTIONS`` is present only when the URL has a query.
    Raises :class:`NotPostgresURLError` for another scheme, :class:`DatabaseURLError` for a
    malformed URL.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        username, password = parts.username, parts.password
    except ValueError:
        raise DatabaseURLError(
            "malformed database URL (a port that is not a number, or an unencoded special "
            "character in the user name or password?)"
        ) from None
    if parts.scheme not in POSTGRES_SCHEMES:
        raise NotPostgresURLError(parts.scheme)
    options: dict[str, Any] = {}
    for key, values in parse_qs(parts.query).items():
        typed = [_option_value(v) for v in values]
        options[key] = typed[0] if len(typed) == 1 else typed
    schema = options.pop("currentSchema", None)
    if schema:
        options["options"] = f"-c search_path={schema}"
    config: dict[str, Any] = {
        "NAME": unquote(parts.path[1:]),
        "USER": unquote(username or ""),
        "PASSWORD": unquote(password or ""),
        # Host names come lower-cased; a percent-encoded socket path keeps its case.
        "HOST": unquote(parts.hostname or ""),
        "PORT": port or "",
    }
    if options:
        config["OPTIONS"] = options
    return config


def _libpq_value(value: Any) -> str:
    if isinstance(value, list):  # a repeated query parameter: libpq keeps the last one
        value = value[-1]
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def connection_params(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq keywords for a Django ``DATABASES`` entry, as Django's PostgreSQL backend builds them.

    ``OPTIONS`` come first and the entry's own ``HOST``, ``PORT``, ``USER`` and ``PASSWORD``
    override them when set, so ``?host=/socket/dir`` applies only to a URL without a host.
    """
    params: dict[str, Any] = {}
    if settings_dict.get("NAME"):
        params["dbname"] = settings_dict["NAME"]
    options = settings_dict.get("OPTIONS") or {}
    params.update({k: v for k, v in options.items() if k not in DJANGO_ONLY_OPTIONS})
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if settings_dict.get(key):
            params[name] = settings_dict[key]
    if settings_dict.get("PORT"):
        params["port"] = settings_dict["PORT"]
    return {key: _libpq_value(value) for key, value in params.items()}


def libpq_conninfo(url_or_conninfo: str) -> str:
    """A libpq connection string for a database URL of any accepted form.

    Strings that are not URLs of :data:`POSTGRES_SCHEMES` (``"dbname=x host=y"``) are returned
    unchanged, so callers can take either.
    """
    from psycopg.conninfo import make_conninfo

    if urlsplit(url_or_conninfo.strip()).scheme not in POSTGRES_SCHEMES:
        return url_or_conninfo
    return make_conninfo(**connection_params(parse_database_url(url_or_conninfo)))
