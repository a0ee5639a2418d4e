"""Database reads behind the API: a mapping's ``counts`` and the write errors.

Both read Heroku Connect's trigger log through an ordinary session
(docs/heroku-connect/database.md §2 and §5): ``pending`` counts the ``NEW`` and ``PENDING`` rows of
``_trigger_log``; ``errors`` and the errors endpoints count the ``FAILED`` rows of the last 24
hours in ``_trigger_log`` **and** the archive.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from heroku_connect import schema as ddl
from heroku_connect.simulator.handlers.common import iso
from heroku_connect.simulator.importer import open_connection
from heroku_connect.simulator.routing import HttpError
from heroku_connect.simulator.state import Mapping, utcnow

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "ERRORS_WINDOW",
    "ESTIMATE_ABOVE",
    "counts",
    "write_errors",
)

logger = logging.getLogger("heroku_connect.simulator")

ERRORS_WINDOW = datetime.timedelta(hours=24)
#: Above this many rows (planner estimate) ``counts.db`` is the estimate, not ``count(*)``.
ESTIMATE_ABOVE = 1_000_000


def counts(server: ApiServer, mappings: list[Mapping]) -> dict[str, dict[str, Any]]:
    """``counts{db, sf, pending, errors}`` per mapping id (None when unknowable)."""
    if not mappings:
        return {}
    result: dict[str, dict[str, Any]] = {}
    tables = [m.table_name for m in mappings]
    schema = server.state.schema
    try:
        with open_connection(server.dsn, as_connect=False) as conn:
            pending, errors = _log_counts(conn, schema, tables)
            sizes = _table_sizes(conn, schema, tables)
            for m in mappings:
                result[m.id] = {
                    "db": sizes.get(m.table_name),
                    "sf": _sf_count(server, m.object_name),
                    "pending": pending.get(m.table_name, 0),
                    "errors": errors.get(m.table_name, 0),
                }
    except psycopg.Error as exc:
        logger.warning("counts unavailable: %s", type(exc).__name__)
    return result


def _table_sizes(conn: psycopg.Connection, schema: str, tables: list[str]) -> dict[str, int]:
    """Row counts of the existing tables; the planner's estimate above ESTIMATE_ABOVE rows
    (like Connect's dashboard, whose counts are estimates for big tables)."""
    sizes = {}
    for table, estimate in conn.execute(
        "SELECT c.relname, c.reltuples FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s) AND c.relkind = 'r'",
        [schema, tables],
    ).fetchall():
        if estimate > ESTIMATE_ABOVE:
            sizes[table] = int(estimate)
            continue
        sizes[table] = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(ddl.qualified(schema, table)))
        ).fetchone()[0]
    return sizes


def _sf_count(server: ApiServer, object_name: str) -> int | None:
    try:
        return len(server.org.records(object_name))
    except KeyError:
        return None


def _log_counts(
    conn: psycopg.Connection, schema: str, tables: list[str]
) -> tuple[dict[str, int], dict[str, int]]:
    log = sql.SQL(ddl.qualified(schema, ddl.TRIGGER_LOG_TABLE))
    archive = sql.SQL(ddl.qualified(schema, ddl.TRIGGER_LOG_ARCHIVE_TABLE))
    since = utcnow() - ERRORS_WINDOW
    rows = conn.execute(
        sql.SQL(
            "SELECT table_name,"
            " count(*) FILTER (WHERE state IN ('NEW', 'PENDING')),"
            " count(*) FILTER (WHERE state = 'FAILED' AND created_at >= %s)"
            " FROM {} WHERE table_name = ANY(%s) AND state IN ('NEW', 'PENDING', 'FAILED')"
            " GROUP BY table_name"
        ).format(log),
        [since, tables],
    ).fetchall()
    pending = {r[0]: r[1] for r in rows}
    errors = {r[0]: r[2] for r in rows}
    archived = conn.execute(
        sql.SQL(
            "SELECT table_name, count(*) FROM {} WHERE state = 'FAILED'"
            " AND table_name = ANY(%s) AND created_at >= %s GROUP BY table_name"
        ).format(archive),
        [tables, since],
    ).fetchall()
    for table, count in archived:
        errors[table] = errors.get(table, 0) + count
    return pending, errors


def write_errors(server: ApiServer, table: str | None) -> list[dict[str, Any]]:
    """FAILED trigger-log rows of the last 24 h (live and archived), newest first."""
    schema = server.state.schema
    since = utcnow() - ERRORS_WINDOW
    parts = []
    params: list[Any] = []
    for name in (ddl.TRIGGER_LOG_TABLE, ddl.TRIGGER_LOG_ARCHIVE_TABLE):
        condition = sql.SQL("state = 'FAILED' AND created_at >= %s")
        params.append(since)
        if table is not None:
            condition = sql.SQL("{} AND table_name = %s").format(condition)
            params.append(table)
        parts.append(
            sql.SQL(
                "SELECT id, table_name, record_id, sf_message, created_at FROM {} WHERE {}"
            ).format(sql.SQL(ddl.qualified(schema, name)), condition)
        )
    query = sql.SQL("{} UNION ALL {} ORDER BY created_at DESC, id DESC LIMIT 1000").format(*parts)
    try:
        with open_connection(server.dsn, as_connect=False) as conn:
            rows = conn.execute(query, params).fetchall()
    except psycopg.Error as exc:
        raise HttpError(503, "The database is unavailable.") from exc
    return [
        {
            "id": r[0],
            "table_name": r[1],
            "record_id": r[2],
            "message": r[3],
            "created_at": iso(r[4]),
        }
        for r in rows
    ]
