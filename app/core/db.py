"""Bounded web requests: PostgreSQL's ``statement_timeout`` for the web process only.

``app/wsgi.py`` (gunicorn, runserver) calls :func:`limit_web_statements`, so every database
connection the web process opens gets ``WEB_STATEMENT_TIMEOUT_MS`` (25 s by default, below
Heroku's 30 s router limit). Celery workers and beat never import the WSGI module and keep
no limit; long work (bulk retries and ignores above a size threshold) runs there.
A statement cancelled by the timeout becomes a 503 page (``StatementTimeoutMiddleware``), not a
server error; the transaction it was in has been rolled back, so nothing was half-applied.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.backends.signals import connection_created

#: SQLSTATE of a statement cancelled by ``statement_timeout`` (or ``pg_cancel_backend``).
QUERY_CANCELED = "57014"


def set_statement_timeout(connection: Any, milliseconds: int) -> None:
    """Set the session's ``statement_timeout`` (0 = none) on a Django connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false)", [f"{int(milliseconds)}ms"]
        )


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql" and settings.WEB_STATEMENT_TIMEOUT_MS:
        set_statement_timeout(connection, settings.WEB_STATEMENT_TIMEOUT_MS)


def limit_web_statements() -> None:
    """Give every new connection of this process the web statement timeout (idempotent)."""
    connection_created.connect(_on_connection_created, dispatch_uid="app.core.db.web_timeout")


def is_statement_timeout(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) is a statement cancelled by the timeout."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if code == QUERY_CANCELED:
            return True
        current = current.__cause__ or current.__context__
    return False
