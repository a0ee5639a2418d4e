"""The Heroku Connect API v3 over real HTTP (``http.server.ThreadingHTTPServer``).

One server answers three kinds of path:

* the regional API under ``/api/v3/...`` (heroku-connect.md §1.3),
* the central (discovery) endpoints ``/connections?app=`` and ``/auth/{app}`` at the root,
* the simulator's own control API under ``/__simulator__/`` (no token; faults and states).

Authentication: every API call needs ``Authorization: Bearer <token>``; a missing or wrong token
answers 401 ``{"message": ...}``. Connections of other apps do not exist for the caller: any
unknown connection or mapping id answers 404 (never 403, so ids of other customers cannot be
probed); discovery for another app name answers an empty list; linking to another app
answers 403.

Every error body is ``{"message": ...}``. Malformed JSON -> 400, a body that is not
``application/json`` -> 415, a body over 1 MiB -> 413, unknown path -> 404, wrong method -> 405,
an exception in a handler -> 500 (logged; the server keeps serving).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql

from heroku_connect import schema as ddl
from heroku_connect.simulator.importer import (
    Importer,
    ImportError_,
    export_document,
    open_connection,
    validate_document,
)
from heroku_connect.simulator.state import (
    Connection,
    ConnectionState,
    Mapping,
    MappingState,
    SimulatorState,
    StateError,
    utcnow,
)
from heroku_connect.states import HealthClass, mapping_health

__all__ = ("MAX_BODY_BYTES", "ApiServer", "HttpError")

logger = logging.getLogger("heroku_connect.simulator")

MAX_BODY_BYTES = 1024 * 1024
ERRORS_WINDOW = datetime.timedelta(hours=24)
#: Above this many rows (planner estimate) ``counts.db`` is the estimate, not ``count(*)``.
ESTIMATE_ABOVE = 1_000_000
REGION = "us"
CELL = "virginia-sim"


class HttpError(Exception):
    """Answer ``status`` with ``{"message": message}`` (plus ``extra`` keys)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    params: dict[str, str]
    body: Any = None

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def flag(self, name: str) -> bool:
        value = self.query_value(name)
        return value is not None and value.lower() in ("true", "1", "yes")


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or None for no body
    raw: bytes | None = None  # sent as text/html instead of ``body`` (the invalid-JSON fault)


Handler = Callable[["ApiServer", Request], Response]
_ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []


def route(method: str, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` and a path regex (named groups become params)."""

    def register(func: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}/?$"), func, auth))
        return func

    return register


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- the server ---------------------------------------------------------------------------


class ApiServer(ThreadingHTTPServer):
    """The HTTP server; holds everything the handlers need."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        state: SimulatorState,
        org: Any,
        dsn: str,
        token: str,
        importer: Importer,
        validation_seconds: float = 0.0,
    ) -> None:
        self.state = state
        self.org = org
        self.dsn = dsn
        self.token = token
        self.importer = importer
        self.validation_seconds = validation_seconds
        self.stopping = threading.Event()
        super().__init__(address, RequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    # --- representations ----------------------------------------------------------------

    def mapping_json(self, mapping: Mapping, counts: dict[str, Any] | None = None) -> dict:
        api = self.api_url
        config = mapping.config.as_export()
        config["revision"] = mapping.config.revision
        config["applied_at"] = _iso(mapping.config.applied_at)
        if "upsert_field" not in config:
            config["upsert_field"] = None
        return {
            "id": mapping.id,
            "_id": mapping.internal_id,
            "object_name": mapping.object_name,
            "state": mapping.state.value,
            "state_description": mapping.state_description,
            "config": config,
            "access": mapping.config.access,
            "sf_notify_enabled": mapping.config.sf_notify_enabled,
            "sf_polling_seconds": mapping.config.sf_polling_seconds,
            "upsert_field": mapping.config.upsert_field,
            "detail_url": f"{api}/mappings/{mapping.id}",
            "errors_url": f"{api}/mappings/{mapping.id}/errors",
            "schema_url": f"{api}/connections/{self.state.connection_id}/schemas/"
            f"{mapping.object_name}",
            "created_at": _iso(mapping.created_at),
            "updated_at": _iso(mapping.updated_at),
            "connection": {"id": self.state.connection_id},
            "counts": counts or {"db": None, "sf": None, "pending": None, "errors": None},
            "actively_writing": mapping.actively_writing,
            "sync_flags": {},
            "times": {key: _iso(value) for key, value in mapping.times.items()},
            "has_hc_columns": True,
            "db_count_date": _iso(utcnow()),
            "salesforce_count_date": _iso(utcnow()),
            "is_polling": mapping.state == MappingState.POLLING_SF_CHANGES,
        }

    def connection_json(self, connection: Connection, *, deep: bool) -> dict[str, Any]:
        api = self.api_url
        detail_url = f"{api}/connections/{connection.id}"
        data: dict[str, Any] = {
            "id": connection.id,
            "_id": connection.internal_id,
            "name": connection.name,
            "internal_name": connection.resource_name,
            "resource_name": connection.resource_name,
            "addon_id": connection.addon_id,
            "app_name": connection.app_name,
            "app_id": connection.app_id,
            "team_name": None,
            "enterprise_account_name": None,
            "schema_name": connection.schema_name,
            "db_key": connection.db_key,
            "database": self._database_info(),
            "organization_id": connection.organization_id,
            "state": connection.state.value,
            "mappings_summary_state": self._summary_state(connection),
            "detail_url": detail_url,
            "notifications_url": f"{detail_url}/notifications",
            "region_url": self.base_url,
            "tags": [],
            "api_version": connection.api_version,
            "sf_info": {
                "username": f"integration@{connection.app_name}.example.com",
                "organization_id": connection.organization_id,
                "environment": "production",
                "domain": None,
                "api_version": connection.api_version,
            },
            "created_at": _iso(connection.created_at),
            "auth_updated": _iso(connection.created_at),
            "plan": connection.plan,
            "free_edition": connection.plan == "demo",
            "dogwood": False,
            "user_info": {
                "profile_perms": {
                    "PermissionsModifyAllData": True,
                    "PermissionsViewAllData": True,
                    "PermissionsViewAllUsers": True,
                }
            },
            "metrics": {"last_write_activity_time": _iso(connection.last_write_activity_time)},
            "logplex_log_enabled": connection.logplex_log_enabled,
            "deletable": True,
            "large_query_threshold": 10000,
            "bulk_page_size": 150000,
            "soap_batch_size": 200,
            "features": dict(connection.features),
            "odata": None,
            "sf_instance": "na1",
            "sf_region": "NA",
        }
        if deep:
            counts = self.counts(list(connection.mappings.values()))
            data["mappings"] = [
                self.mapping_json(m, counts.get(m.id)) for m in connection.mappings.values()
            ]
        return data

    def discovery_item(self, connection: Connection) -> dict[str, Any]:
        """A connection as listed by discovery: the full object plus the discovery fields."""
        item = self.connection_json(connection, deep=False)
        item.update(
            {
                "display_name": connection.name,
                "addon_type": "Sync",
                "region": REGION,
                "region_url": self.base_url,
                "region_flag": "united-states",
                "region_label": "United States (simulator)",
                "cell": CELL,
                "cell_label": "Simulator",
            }
        )
        return item

    def regions_and_cells(self) -> dict[str, Any]:
        return {
            "regions": {REGION: {"flag": "united-states", "label": "United States (simulator)"}},
            "cells": {CELL: {"url": self.base_url, "flag": "united-states", "label": "Simulator"}},
        }

    @staticmethod
    def _summary_state(connection: Connection) -> str:
        bad = [m for m in connection.mappings.values() if not _mapping_ok(m)]
        return "OK" if not bad else "ERROR"

    def _database_info(self) -> dict[str, Any]:
        info = psycopg.conninfo.conninfo_to_dict(self.dsn)
        port = info.get("port")
        return {
            "host": info.get("host") or "localhost",
            "database": info.get("dbname"),
            "port": int(port) if port and str(port).isdigit() else 5432,
        }

    # --- database reads -----------------------------------------------------------------

    def counts(self, mappings: list[Mapping]) -> dict[str, dict[str, Any]]:
        """``counts{db, sf, pending, errors}`` per mapping id (None when unknowable)."""
        if not mappings:
            return {}
        result: dict[str, dict[str, Any]] = {}
        tables = [m.table_name for m in mappings]
        schema = self.state.schema
        try:
            with open_connection(self.dsn, as_connect=False) as conn:
                pending, errors = self._log_counts(conn, schema, tables)
                sizes = self._table_sizes(conn, schema, tables)
                for m in mappings:
                    result[m.id] = {
                        "db": sizes.get(m.table_name),
                        "sf": self._sf_count(m.object_name),
                        "pending": pending.get(m.table_name, 0),
                        "errors": errors.get(m.table_name, 0),
                    }
        except psycopg.Error as exc:
            logger.warning("counts unavailable: %s", type(exc).__name__)
        return result

    @staticmethod
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

    def _sf_count(self, object_name: str) -> int | None:
        try:
            return len(self.org.records(object_name))
        except KeyError:
            return None

    def _log_counts(
        self, conn: psycopg.Connection, schema: str, tables: list[str]
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

    def write_errors(self, table: str | None) -> list[dict[str, Any]]:
        """FAILED trigger-log rows of the last 24 h (live and archived), newest first."""
        schema = self.state.schema
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
        query = sql.SQL("{} UNION ALL {} ORDER BY created_at DESC, id DESC LIMIT 1000").format(
            *parts
        )
        try:
            with open_connection(self.dsn, as_connect=False) as conn:
                rows = conn.execute(query, params).fetchall()
        except psycopg.Error as exc:
            raise HttpError(503, "The database is unavailable.") from exc
        return [
            {
                "id": r[0],
                "table_name": r[1],
                "record_id": r[2],
                "message": r[3],
                "created_at": _iso(r[4]),
            }
            for r in rows
        ]

    # --- helpers used by handlers -------------------------------------------------------

    def connection_or_404(self, connection_id: str) -> Connection:
        connection = self.state.snapshot()
        if connection_id != connection.id:
            raise HttpError(404, f"Connection {connection_id} not found.")
        return connection

    def mapping_or_404(self, mapping_id: str) -> Mapping:
        mapping = self.state.mapping(mapping_id)
        if mapping is None:
            raise HttpError(404, f"Mapping {mapping_id} not found.")
        return mapping

    def diagnose(self) -> dict[str, Any]:
        return _diagnose(self.state.snapshot())


def _mapping_ok(mapping: Mapping) -> bool:
    """Not in an error: healthy or in progress in the state table (drives the summary and
    diagnose's ``MAPPING_STATE_OK``)."""
    return mapping_health(mapping.state) in (HealthClass.HEALTHY, HealthClass.TRANSIENT)


# --- diagnose ----------------------------------------------------------------------------

DOC_URL = "https://devcenter.heroku.com/articles/heroku-connect-diagnose"


def _check(rule_id: str, name: str, passed: bool | None, message: str) -> dict[str, Any]:
    status = "SKIPPED" if passed is None else ("PASSED" if passed else "FAILED")
    return {
        "rule_id": rule_id,
        "display_name": name,
        "status": status,
        "message": message,
        "doc_url": f"{DOC_URL}#{rule_id.lower().replace('_', '-')}",
    }


def _sort_checks(checks: list[dict[str, Any]], warn: set[str]) -> dict[str, list]:
    result: dict[str, list] = {"errors": [], "warnings": [], "passes": [], "skips": []}
    for check in checks:
        if check["status"] == "PASSED":
            result["passes"].append(check)
        elif check["status"] == "SKIPPED":
            result["skips"].append(check)
        elif check["rule_id"] in warn:
            result["warnings"].append(check)
        else:
            result["errors"].append(check)
    return result


def _diagnose(connection: Connection) -> dict[str, Any]:
    """The diagnose result (heroku-connect.md §1.3 #20; rule ids of §1.5)."""
    state = connection.state
    n = len(connection.mappings)
    checks = [
        _check(
            "NUM_MAPPINGS_WITHIN_LIMIT",
            "Number of Mappings",
            n <= 100,
            f"{n} mappings; use no more than 100 mappings.",
        ),
        _check(
            "HEROKU_POSTGRES_REQUIRED",
            "Heroku Postgres",
            state != ConnectionState.DB_UNAVAILABLE,
            "The database is reachable."
            if state != ConnectionState.DB_UNAVAILABLE
            else "The database is unavailable.",
        ),
        _check("REGIONS_SHOULD_MATCH", "Data Locality", True, "App and connection share a region."),
        _check(
            "SHOULD_HAVE_VALID_SF_PERMISSIONS",
            "View/Modify All Data",
            state not in (ConnectionState.UNAUTHORIZED, ConnectionState.NEED_AUTHENTICATION),
            "The Salesforce user has View All Data and Modify All Data."
            if state not in (ConnectionState.UNAUTHORIZED, ConnectionState.NEED_AUTHENTICATION)
            else "Salesforce authorization failed; re-authorize the connection.",
        ),
        _check(
            "MUST_USE_RECENT_API_VERSION",
            "Salesforce API Version",
            True,
            f"The connection uses the latest API version {connection.api_version}.",
        ),
        _check(
            "SHOULD_HAVE_LOG_DRAIN",
            "Configured Logging",
            connection.logplex_log_enabled,
            "Logs are sent to Logplex."
            if connection.logplex_log_enabled
            else "Add a log drain to keep Heroku Connect logs.",
        ),
        _check(
            "PAID_PLAN_MUST_HAVE_PAID_DATABASE",
            "Database Plan",
            None if connection.plan == "demo" else True,
            "Skipped on the demo plan." if connection.plan == "demo" else "Paid database.",
        ),
    ]
    result = _sort_checks(checks, warn={"MUST_USE_RECENT_API_VERSION", "SHOULD_HAVE_LOG_DRAIN"})
    mappings = {}
    for m in connection.mappings.values():
        fields = len(m.config.fields)
        mapping_checks = [
            _check(
                "MAPPING_NUM_FIELDS_WITHIN_LIMIT",
                "Number of Fields",
                fields <= 100,
                f"{fields} fields mapped; map no more than 100.",
            ),
            _check(
                "MAPPING_NUM_LARGE_TEXT_FIELDS_WITHIN_LIMIT",
                "Number of Large Text Area Fields",
                True,
                "Few enough Long Text Area fields.",
            ),
            _check(
                "MAPPING_STATE_OK",
                "Mapping State",
                _mapping_ok(m),
                f"The mapping is {m.state.value}.",
            ),
        ]
        mappings[m.object_name] = _sort_checks(mapping_checks, warn=set())
    result["mappings"] = mappings
    return result


# --- request handling --------------------------------------------------------------------


class RequestHandler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.0"  # one request per connection: garbage cannot leak into the next
    server_version = "HerokuConnectSimulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._dispatch("OPTIONS")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors found by ``http.server`` (bad request line, 414, 501) as JSON too."""
        short = self.responses.get(code, ("Error",))[0]
        body = json.dumps({"message": message or short}).encode()
        try:
            self.send_response(code, short)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _dispatch(self, method: str) -> None:
        try:
            response = self._handle(method)
        except HttpError as exc:
            response = Response(exc.status, {"message": exc.message, **exc.extra})
        except StateError as exc:
            response = Response(exc.status, {"message": exc.message})
        except Exception:
            logger.exception("simulator handler failed for %s %s", method, self.path)
            response = Response(500, {"message": "Internal server error."})
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            body = response.raw
            content_type = "text/html; charset=utf-8"
            if body is None and response.body is not None:
                body = json.dumps(response.body).encode()
                content_type = "application/json"
            self.send_response(response.status)
            if body is not None:
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body is not None and self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (e.g. timed out)

    def _handle(self, method: str) -> Response:
        parts = urlsplit(self.path)
        path = parts.path
        found = None
        allowed = False
        for route_method, pattern, func, auth in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            allowed = True
            if route_method == method or (method == "HEAD" and route_method == "GET"):
                found = (func, auth, match.groupdict())
                break
        if found is None:
            self._discard_body()
            if allowed:
                raise HttpError(405, f"Method {method} is not allowed on {path}.")
            raise HttpError(404, f"Not found: {path}")
        func, auth, params = found
        request = Request(method, path, parse_qs(parts.query), self.headers, params)
        if auth:
            self.server.state.count_api_request()
            faulted = self._apply_faults()
            if faulted is not None:
                return faulted
            self._authenticate()
        request.body = self._read_body()
        response = func(self.server, request)
        if auth and self.server.state.current_faults().invalid_json:
            return Response(200, raw=b"<html>Heroku Connect is having a moment</html>")
        return response

    def _apply_faults(self) -> Response | None:
        faults = self.server.state.current_faults()
        if faults.latency > 0:
            self.server.stopping.wait(faults.latency)
        if faults.timeout:
            self._discard_body()
            self.server.stopping.wait(faults.timeout_seconds)
            return Response(504, {"message": "Gateway timeout (simulated)."})
        if faults.unauthorized:
            self._discard_body()
            return Response(401, {"message": "Invalid credentials provided (simulated)."})
        if faults.status is not None:
            self._discard_body()
            return Response(faults.status, {"message": f"Simulated error {faults.status}."})
        return None

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization")
        if not header:
            self._discard_body()
            raise HttpError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.server.token:
            self._discard_body()
            raise HttpError(401, "Invalid credentials provided.")

    def _content_length(self) -> int:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        try:
            length = int(raw)
        except ValueError:
            raise HttpError(400, "Invalid Content-Length header.") from None
        if length < 0:
            raise HttpError(400, "Invalid Content-Length header.")
        return length

    def _discard_body(self) -> None:
        """Read (up to 16 MiB of) an unwanted body so the client can read our answer."""
        try:
            remaining = min(self._content_length(), 16 * MAX_BODY_BYTES)
        except HttpError:
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

    def _read_body(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise HttpError(411, "Send a Content-Length; chunked bodies are not supported.")
        length = self._content_length()
        if length > MAX_BODY_BYTES:
            self._discard_body()
            raise HttpError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if length == 0:
            return None
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise HttpError(415, "Send the request body as application/json.")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HttpError(400, "The request body is not valid JSON.") from None


# --- API endpoints -----------------------------------------------------------------------

C = r"(?P<connection_id>[^/]+)"
M = r"(?P<mapping_id>[^/]+)"
API = r"/api/v3"


def _object_body(request: Request) -> dict[str, Any]:
    if request.body is None:
        return {}
    if not isinstance(request.body, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    return request.body


def _app_name(server: ApiServer, request: Request) -> str:
    app = request.query_value("app") or request.query_value("resource_name")
    if not app:
        raise HttpError(400, "Invalid request parameters: 'app' is required.")
    return app


def _owns_app(server: ApiServer, app: str) -> bool:
    connection = server.state.snapshot()
    return app in (connection.app_name, connection.app_id, connection.resource_name)


@route("GET", "/connections")
@route("GET", f"{API}/connections")
def list_connections(server: ApiServer, request: Request) -> Response:
    """Discovery (central) and the older regional list: one shape serves both."""
    app = _app_name(server, request)
    connection = server.state.snapshot()
    results = []
    if _owns_app(server, app):
        item = server.discovery_item(connection)
        if request.flag("deep"):
            item["mappings"] = server.connection_json(connection, deep=True)["mappings"]
        results.append(item)
    return Response(
        200,
        {
            "count": len(results),
            "next": None,
            "previous": None,
            "results": results,
            **server.regions_and_cells(),
        },
    )


@route("POST", r"/auth/(?P<app>[^/]+)")
@route("POST", rf"{API}/auth/(?P<app>[^/]+)")
@route("POST", r"/users/me/apps/(?P<app>[^/]+)/auth")
@route("POST", rf"{API}/users/me/apps/(?P<app>[^/]+)/auth")
def link_account(server: ApiServer, request: Request) -> Response:
    """Add the caller to the app's access list (idempotent)."""
    app = request.params["app"]
    if not _owns_app(server, app):
        raise HttpError(403, f"You do not have access to the app {app}.")
    connection = server.state.snapshot()
    return Response(
        200,
        {
            "user": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, server.token)), "email": None},
            "connections": [server.discovery_item(connection)],
            **server.regions_and_cells(),
        },
    )


@route("GET", rf"{API}/users/me")
def current_user(server: ApiServer, request: Request) -> Response:
    return Response(200, {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, server.token)), "email": None})


@route("GET", rf"{API}/connections/{C}")
def get_connection(server: ApiServer, request: Request) -> Response:
    connection = server.connection_or_404(request.params["connection_id"])
    return Response(200, server.connection_json(connection, deep=request.flag("deep")))


@route("PATCH", rf"{API}/connections/{C}")
def patch_connection(server: ApiServer, request: Request) -> Response:
    connection = server.connection_or_404(request.params["connection_id"])
    body = _object_body(request)
    allowed = {"db_key", "schema_name", "name", "features"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise HttpError(400, f"Unknown connection fields: {', '.join(unknown)}.")
    for key in ("db_key", "schema_name", "name"):
        if key in body and (not isinstance(body[key], str) or not body[key]):
            raise HttpError(400, f"{key} must be a non-empty string.")
    features = body.get("features")
    if features is not None and (
        not isinstance(features, dict)
        or not all(k in connection.features and isinstance(v, bool) for k, v in features.items())
    ):
        raise HttpError(400, "features must map known feature names to true or false.")
    if body.get("schema_name", connection.schema_name) != connection.schema_name:
        raise HttpError(
            409, "The simulator serves one schema; schema_name cannot change after start."
        )
    server.state.patch_connection(**body)
    return Response(200, server.connection_json(server.state.snapshot(), deep=False))


@route("POST", rf"{API}/connections/{C}/actions/import")
def import_configuration(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    if request.body is None:
        raise HttpError(400, "Send the configuration document as the JSON body.")
    try:
        planned = validate_document(request.body, server.org)
    except ImportError_ as exc:
        raise HttpError(400, str(exc)) from None
    warnings = server.importer.start_import(planned)
    return Response(202, {"message": "Import started.", "warnings": warnings})


@route("GET", rf"{API}/connections/{C}/actions/export")
def export_configuration(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    return Response(200, export_document(server.state))


@route("POST", rf"{API}/connections/{C}/actions/pause")
def pause(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    server.state.pause()
    return Response(202, {"message": "Connection paused."})


@route("POST", rf"{API}/connections/{C}/actions/resume")
def resume(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    server.state.resume()
    return Response(202, {"message": "Connection resumed."})


@route("POST", rf"{API}/connections/{C}/actions/restart")
def restart(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    server.importer.start_recovery(server.state.restart())
    return Response(202, {"message": "Connection restarted."})


@route("GET", rf"{API}/connections/{C}/errors")
def connection_errors(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    results = server.write_errors(None)
    return Response(200, {"count": len(results), "results": results})


@route("GET", rf"{API}/mappings/{M}/errors")
def mapping_errors(server: ApiServer, request: Request) -> Response:
    mapping = server.mapping_or_404(request.params["mapping_id"])
    results = server.write_errors(mapping.table_name)
    return Response(200, {"count": len(results), "results": results})


@route("GET", rf"{API}/mappings/{M}")
def get_mapping(server: ApiServer, request: Request) -> Response:
    mapping = server.mapping_or_404(request.params["mapping_id"])
    return Response(200, server.mapping_json(mapping, server.counts([mapping]).get(mapping.id)))


@route("DELETE", rf"{API}/mappings/{M}")
def delete_mapping(server: ApiServer, request: Request) -> Response:
    mapping = server.mapping_or_404(request.params["mapping_id"])
    if server.state.connection_state == ConnectionState.IMPORT_CONFIGURATION:
        raise HttpError(409, "The connection is importing a configuration; try again later.")
    server.state.delete_mapping(mapping.id)
    return Response(204)


@route("POST", rf"{API}/mappings/{M}/actions/reload")
def reload_mapping(server: ApiServer, request: Request) -> Response:
    mapping = server.mapping_or_404(request.params["mapping_id"])
    if server.state.connection_state == ConnectionState.IMPORT_CONFIGURATION:
        raise HttpError(409, "The connection is importing a configuration; try again later.")
    if mapping.state == MappingState.RELOAD_TABLE:
        raise HttpError(409, f"Mapping {mapping.object_name} is already reloading.")
    server.importer.start_reload(mapping.id)
    return Response(202, {"message": f"Reloading {mapping.object_name}."})


def _parse_time(value: str | None, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"Invalid request parameters: {name} is not a timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _notification_filters(request: Request) -> dict[str, Any]:
    unknown = sorted(set(request.query) - {"after", "before", "event_type", "page_size"})
    if unknown:
        raise HttpError(400, f"Invalid request parameters: {', '.join(unknown)}.")
    page_size = request.query_value("page_size")
    if page_size is not None and (not page_size.isdigit() or int(page_size) < 1):
        raise HttpError(400, "Invalid request parameters: page_size must be a positive integer.")
    return {
        "after": _parse_time(request.query_value("after"), "after"),
        "before": _parse_time(request.query_value("before"), "before"),
        "event_type": request.query_value("event_type"),
    }


@route("GET", rf"{API}/connections/{C}/notifications")
def notifications(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    filters = _notification_filters(request)
    page_size = int(request.query_value("page_size") or 1000)
    found = server.state.matching_notifications(**filters)[:page_size]
    return Response(200, {"count": len(found), "results": [n.as_json() for n in found]})


@route("POST", rf"{API}/connections/{C}/notifications/acknowledge")
def acknowledge(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    filters = _notification_filters(request)
    found = server.state.matching_notifications(**filters)
    server.state.acknowledge({n.id for n in found})
    return Response(204)


@route("POST", rf"{API}/connections/{C}/validations")
def start_validation(server: ApiServer, request: Request) -> Response:
    connection = server.connection_or_404(request.params["connection_id"])
    ready_at = utcnow() + datetime.timedelta(seconds=server.validation_seconds)
    validation = server.state.add_validation(ready_at, server.diagnose())
    url = f"{server.api_url}/connections/{connection.id}/validations/{validation.id}"
    return Response(202, {"result_url": url})


@route("GET", rf"{API}/connections/{C}/validations/(?P<validation_id>[^/]+)")
def validation_result(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    validation = server.state.validation(request.params["validation_id"])
    if validation is None:
        raise HttpError(404, "Validation not found.")
    if utcnow() < validation.ready_at:
        return Response(202, {"message": "The validation is still running."})
    return Response(200, validation.result)


@route("GET", rf"{API}/mappings/{M}/validations")
def mapping_validation(server: ApiServer, request: Request) -> Response:
    mapping = server.mapping_or_404(request.params["mapping_id"])
    return Response(200, server.diagnose()["mappings"].get(mapping.object_name, {}))


@route("GET", rf"{API}/connections/{C}/schemas/(?P<object_name>[^/]+)")
def describe(server: ApiServer, request: Request) -> Response:
    server.connection_or_404(request.params["connection_id"])
    name = request.params["object_name"]
    if not server.org.has_object(name):
        raise HttpError(404, f"Unknown Salesforce object {name}.")
    return Response(200, server.org.describe(name).as_json())


@route("GET", rf"{API}/apps/(?P<app>[^/]+)")
def app_db_keys(server: ApiServer, request: Request) -> Response:
    """Candidate database config vars of the app (#5): the simulator's one database."""
    if not _owns_app(server, request.params["app"]):
        raise HttpError(404, f"App {request.params['app']} not found.")
    return Response(
        200,
        {"db_keys": [{"name": server.state.snapshot().db_key, "addon": {"plan": "standard-0"}}]},
    )


@route("POST", rf"{API}/connections/{C}/authorize_url")
def authorize_url(server: ApiServer, request: Request) -> Response:
    """Start Salesforce OAuth (#6): 201 with the login URL of the chosen environment."""
    server.connection_or_404(request.params["connection_id"])
    body = _object_body(request)
    environment = body.get("environment", "production")
    hosts = {"production": "login.salesforce.com", "sandbox": "test.salesforce.com"}
    if environment == "custom":
        domain = body.get("domain")
        if not isinstance(domain, str) or not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
            raise HttpError(400, "A custom environment needs a login 'domain'.")
        host = domain
    elif environment in hosts:
        host = hosts[environment]
    else:
        raise HttpError(400, "environment must be production, sandbox or custom.")
    return Response(201, {"redirect": f"https://{host}/services/oauth2/authorize?simulated=1"})


def _target_version(value: Any) -> str:
    if not isinstance(value, str | int | float) or not re.fullmatch(r"\d{2}(\.0)?", str(value)):
        raise HttpError(400, "Invalid request parameters: target_version must look like 61.0.")
    return f"{int(float(value))}.0"


def _schema_diff(server: ApiServer, target: str) -> dict[str, Any]:
    connection = server.state.snapshot()
    return {
        "current_api_version": connection.api_version,
        "target_api_version": target,
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{connection.id}/{target}")),
        "mappings": [
            {
                "name": m.object_name,
                "fields_have_changed": False,
                "has_unsafe_changes": False,
                "action_undetermined": False,
                "result_message": "No field changes between the versions.",
            }
            for m in connection.mappings.values()
        ],
    }


@route("GET", rf"{API}/connections/{C}/schema-diff")
def schema_diff(server: ApiServer, request: Request) -> Response:
    """Per-mapping field diff to a target API version (#24); the simulated org never differs."""
    server.connection_or_404(request.params["connection_id"])
    return Response(
        200, _schema_diff(server, _target_version(request.query_value("target_version")))
    )


@route("POST", rf"{API}/connections/{C}/actions/change-sf-api-version")
@route("POST", rf"{API}/connections/{C}/actions/upgrade-api-version")
def change_api_version(server: ApiServer, request: Request) -> Response:
    """Change the Salesforce API version (#25): PAUSED only, and no mapping still polling."""
    server.connection_or_404(request.params["connection_id"])
    target = _target_version(_object_body(request).get("target_version"))
    syncing = [
        m.object_name
        for m in server.state.mappings()
        if m.state in (MappingState.POLLING_SF_CHANGES, MappingState.POLLING_SF_BULK)
    ]
    if syncing:
        raise HttpError(
            409, f"Mapping {syncing[0]} is still syncing.", error=f"Mapping {syncing[0]} is "
            "still syncing. Try again when it is done.", syncing_mappings=syncing,
        )  # fmt: skip
    diff = _schema_diff(server, target)
    server.state.change_api_version(target)
    return Response(202, {**diff, "target_version": target})


# --- control endpoints (no token) -------------------------------------------------------

CONTROL = r"/__simulator__"
FAULT_TYPES: dict[str, type | tuple[type, ...]] = {
    "latency": (int, float),
    "status": int,
    "timeout": bool,
    "timeout_seconds": (int, float),
    "unauthorized": bool,
    "invalid_json": bool,
}


@route("POST", f"{CONTROL}/faults", auth=False)
def set_faults(server: ApiServer, request: Request) -> Response:
    body = _object_body(request)
    changes = {}
    for name, value in body.items():
        expected = FAULT_TYPES.get(name)
        if expected is None:
            raise HttpError(400, f"Unknown fault {name!r}; known: {', '.join(FAULT_TYPES)}.")
        if value is None and name == "status":
            changes[name] = None
            continue
        if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            raise HttpError(400, f"Fault {name!r} has the wrong type.")
        if name == "status" and not 400 <= value <= 599:
            raise HttpError(400, "Fault 'status' must be an HTTP error status (400-599).")
        if name in ("latency", "timeout_seconds") and value < 0:
            raise HttpError(400, f"Fault {name!r} must not be negative.")
        changes[name] = value
    faults = server.state.set_faults(**changes)
    return Response(200, faults.as_json())


@route("DELETE", f"{CONTROL}/faults", auth=False)
def clear_faults(server: ApiServer, request: Request) -> Response:
    server.state.clear_faults()
    return Response(200, server.state.current_faults().as_json())


@route("POST", f"{CONTROL}/connection-state", auth=False)
def set_connection_state(server: ApiServer, request: Request) -> Response:
    body = _object_body(request)
    try:
        state = ConnectionState(body.get("state"))
    except ValueError:
        raise HttpError(
            400, f"Unknown connection state; known: {', '.join(s.value for s in ConnectionState)}."
        ) from None
    server.state.set_connection_state(state)
    return Response(200, {"state": state.value})


@route("POST", f"{CONTROL}/mapping-state", auth=False)
def set_mapping_state(server: ApiServer, request: Request) -> Response:
    body = _object_body(request)
    name = body.get("object_name")
    mapping = server.state.mapping_for_object(name) if isinstance(name, str) else None
    if mapping is None:
        raise HttpError(404, f"No mapping for object {name!r}.")
    try:
        state = MappingState(body.get("state"))
    except ValueError:
        raise HttpError(
            400, f"Unknown mapping state; known: {', '.join(s.value for s in MappingState)}."
        ) from None
    server.state.set_mapping_state(mapping.id, state)
    return Response(200, {"object_name": mapping.object_name, "state": state.value})


@route("POST", f"{CONTROL}/write-algorithm", auth=False)
def set_write_algorithm(server: ApiServer, request: Request) -> Response:
    body = _object_body(request)
    algorithm = body.get("algorithm")
    if algorithm not in ("ordered", "merged"):
        raise HttpError(400, "algorithm must be 'ordered' or 'merged'.")
    server.state.set_ordered_writes(algorithm == "ordered")
    return Response(200, {"algorithm": algorithm})


@route("POST", f"{CONTROL}/notifications", auth=False)
def add_notification(server: ApiServer, request: Request) -> Response:
    body = _object_body(request)
    event_type = body.get("event_type", "mapping-error")
    message = body.get("message")
    if not isinstance(event_type, str) or not isinstance(message, str) or not message:
        raise HttpError(400, "Send {event_type, message} strings.")
    return Response(201, server.state.add_notification(event_type, message).as_json())


@route("GET", f"{CONTROL}/status", auth=False)
def status(server: ApiServer, request: Request) -> Response:
    connection = server.state.snapshot()
    return Response(
        200,
        {
            "connection_id": connection.id,
            "app_name": connection.app_name,
            "state": connection.state.value,
            "ordered_writes": connection.ordered_writes,
            "mappings": {m.object_name: m.state.value for m in connection.mappings.values()},
            "faults": server.state.current_faults().as_json(),
            "api_requests": server.state.api_requests,
            "api_url": server.api_url,
        },
    )
