"""Import and export of mapping configurations, and the DDL / data loads they cause.

:func:`validate_document` checks an import document against the simulated org and answers
like the real service (:class:`ImportError_` carries the 400 message). :class:`Importer` then
applies it in a background thread: the connection shows ``IMPORT_CONFIGURATION`` for
``import_seconds``; each new mapping goes ``INITIAL`` -> ``RELOAD_TABLE`` -> ``DATA_SYNCED``,
each changed one ``SCHEMA_CHANGED`` -> ``RESYNC`` -> ``DATA_SYNCED``; the tables are created (or
altered) in the real schema with Heroku Connect's column types and capture triggers, and the
org's records are loaded writing as Heroku Connect (not captured by the triggers).

Chosen behaviour where the real service is unconfirmed (see the package README):

* a ``X__r__Ext__c`` relationship field whose base lookup is not indexed is rejected (400); the
  real service is reported to drop it silently;
* missing Salesforce-required fields on a read-write mapping do not fail the import: a
  ``mapping-error`` notification "Fields needed for insertion ..." is added and the 202 body
  lists it under ``warnings``;
* an existing table is adopted: missing columns are added, existing columns (and their types)
  are kept, capture triggers and indexes are installed only when missing, so a table created
  by Django models (the test database) stays compatible with them;
* unmapped fields keep their columns; a mapping delete keeps the table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from heroku_connect import schema as ddl
from heroku_connect.simulator.state import (
    Mapping,
    MappingConfig,
    MappingState,
    SimulatorState,
    column_name,
    utcnow,
)

__all__ = (
    "READ_WRITE_NEEDS_UPSERT",
    "ImportError_",
    "Importer",
    "PlannedMapping",
    "ensure_metadata",
    "export_document",
    "open_connection",
    "table_exists",
    "validate_document",
)

logger = logging.getLogger("heroku_connect.simulator")

READ_WRITE_NEEDS_UPSERT = (
    "Read-write mappings require an upsert field for syncing. "
    "Upsert fields must be defined as unique External ID fields in Salesforce."
)
REQUIRED_FIELDS_WARNING = "Fields needed for insertion to Salesforce need to be mapped: {fields}"


class ImportError_(ValueError):  # noqa: N801 (the builtin ImportError means something else)
    """The document is invalid; ``str(exc)`` is the 400 ``message``."""


def open_connection(dsn: str, *, as_connect: bool = True) -> psycopg.Connection:
    """An autocommit connection in UTC; ``as_connect`` makes its writes Heroku Connect's own."""
    conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    conn.execute("SET TIME ZONE 'UTC'")
    if as_connect:
        conn.execute(ddl.CONNECT_SESSION_SQL)
    return conn


def table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
        [schema, table],
    ).fetchone()
    return row is not None


def ensure_metadata(conn: psycopg.Connection, schema: str, organization_id: str) -> bool:
    """Create the schema and Connect's metadata objects when any is missing.

    Returns True when something was created. Existing objects are left alone (re-creating the
    notify trigger would lock ``_trigger_log``).
    """
    wanted = ("_hcmeta", "_trigger_log", "_trigger_log_archive", "_sf_event_log")
    if all(table_exists(conn, schema, t) for t in wanted):
        return False
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for statement in ddl.metadata_sql(schema):
            conn.execute(statement)
        statement, params = ddl.hcmeta_insert_sql(schema, organization_id)
        conn.execute(statement, params)
    return True


# --- validation -------------------------------------------------------------------------------


@dataclass
class PlannedMapping:
    """One validated mapping entry of an import document."""

    object_name: str
    config: MappingConfig
    warnings: list[str] = field(default_factory=list)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ImportError_(message)


def _int_setting(config: dict[str, Any], key: str, default: int, where: str) -> int:
    value = config.get(key, default)
    _require(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        f"{where}: config.{key} must be a positive integer.",
    )
    return value


def _parse_entry(entry: Any, index: int) -> tuple[str, MappingConfig]:
    _require(isinstance(entry, dict), f"mappings[{index}] must be an object.")
    object_name = entry.get("object_name")
    _require(
        isinstance(object_name, str) and bool(object_name),
        f"mappings[{index}].object_name must be a non-empty string.",
    )
    config = entry.get("config")
    _require(isinstance(config, dict), f"{object_name}: config must be an object.")
    access = config.get("access")
    _require(
        access in (ddl.READ_ONLY, ddl.READ_WRITE),
        f"{object_name}: config.access must be 'read_only' or 'read_write'.",
    )
    fields = config.get("fields")
    _require(
        isinstance(fields, dict) and bool(fields),
        f"{object_name}: config.fields must be a non-empty object.",
    )
    _require(
        all(isinstance(k, str) and isinstance(v, dict) for k, v in fields.items()),
        f"{object_name}: every config.fields value must be an object ({{}}).",
    )
    indexes = config.get("indexes", {})
    _require(isinstance(indexes, dict), f"{object_name}: config.indexes must be an object.")
    for name, spec in indexes.items():
        _require(
            isinstance(spec, dict) and isinstance(spec.get("unique", False), bool),
            f'{object_name}: config.indexes.{name} must be {{"unique": true|false}}.',
        )
    upsert_field = config.get("upsert_field")
    _require(
        upsert_field is None or isinstance(upsert_field, str),
        f"{object_name}: config.upsert_field must be a field name or null.",
    )
    notify = config.get("sf_notify_enabled", False)
    _require(isinstance(notify, bool), f"{object_name}: config.sf_notify_enabled must be a bool.")
    return object_name, MappingConfig(
        access=access,
        sf_notify_enabled=notify,
        sf_polling_seconds=_int_setting(config, "sf_polling_seconds", 600, object_name),
        sf_max_daily_api_calls=_int_setting(config, "sf_max_daily_api_calls", 30000, object_name),
        fields={name: dict(value) for name, value in fields.items()},
        indexes={
            name: {"unique": bool(spec.get("unique", False))} for name, spec in indexes.items()
        },
        upsert_field=upsert_field or None,
    )


def _check_fields(org: Any, object_name: str, config: MappingConfig) -> list[str]:
    """Validate the fields of one mapping against the org; return the warnings."""
    describe = org.describe(object_name)
    unknown = []
    for name in config.fields:
        if describe.field(name) is not None:
            continue
        if "__r__" not in name.lower():
            unknown.append(name)
            continue
        try:
            lookup, _target, _external = org.relationship(object_name, name)
        except KeyError:
            raise ImportError_(
                f"{object_name}: relationship field {name} must name a lookup of "
                f"{object_name} and an External ID field of the object it points to."
            ) from None
        if lookup.name not in config.indexes:
            raise ImportError_(
                f"{object_name}: relationship field {name} needs its base lookup "
                f"{lookup.name} to be mapped and indexed."
            )
    if unknown:
        raise ImportError_(
            f"{object_name}: unknown field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(sorted(unknown))}."
        )
    not_mapped = sorted(set(config.indexes) - set(config.fields))
    _require(
        not not_mapped,
        f"{object_name}: indexes on fields that are not mapped: {', '.join(not_mapped)}.",
    )
    warnings: list[str] = []
    if config.access == ddl.READ_WRITE:
        _require(config.upsert_field is not None, READ_WRITE_NEEDS_UPSERT)
    if config.upsert_field is not None:
        upsert = describe.field(config.upsert_field)
        _require(
            upsert is not None and upsert.external_id and upsert.unique,
            f"{object_name}: upsert field {config.upsert_field} is not a unique External ID "
            f"field in Salesforce. {READ_WRITE_NEEDS_UPSERT}",
        )
        _require(
            config.upsert_field in config.fields,
            f"{object_name}: the upsert field {config.upsert_field} must be mapped.",
        )
    if config.access == ddl.READ_WRITE:
        missing = sorted(
            f.name
            for f in describe.fields.values()
            if f.required and f.createable and f.name not in config.fields
        )
        if missing:
            warnings.append(REQUIRED_FIELDS_WARNING.format(fields=", ".join(missing)))
    return warnings


def validate_document(document: Any, org: Any) -> list[PlannedMapping]:
    """Check an import document against the org; raise :class:`ImportError_` (400) if invalid.

    The configs are kept as given (so an export returns them unchanged); ``Id`` is always
    synchronised (column ``sfid``) even when the document does not list it.
    """
    _require(isinstance(document, dict), "The configuration must be a JSON object.")
    version = document.get("version", 1)
    _require(version == 1, f"Unsupported configuration version {version!r}; expected 1.")
    mappings = document.get("mappings")
    _require(isinstance(mappings, list), "The configuration needs a 'mappings' array.")
    planned: list[PlannedMapping] = []
    seen: set[str] = set()
    unknown_objects: list[str] = []
    for index, entry in enumerate(mappings):
        object_name, config = _parse_entry(entry, index)
        _require(object_name.lower() not in seen, f"{object_name} is mapped more than once.")
        seen.add(object_name.lower())
        if not org.has_object(object_name):
            unknown_objects.append(object_name)
            continue
        planned.append(PlannedMapping(object_name, config, _check_fields(org, object_name, config)))
    if unknown_objects:
        raise ImportError_(
            f"Unknown Salesforce object{'s' if len(unknown_objects) > 1 else ''}: "
            f"{', '.join(unknown_objects)}."
        )
    return planned


def export_document(state: SimulatorState) -> dict[str, Any]:
    """The deployed configuration as ``connect:export`` writes it (version 1)."""
    connection = state.snapshot()
    return {
        "version": 1,
        "connection": {
            "app_name": connection.app_name,
            "organization_id": connection.organization_id,
            "exported_at": utcnow().isoformat(),
            "api_version": connection.api_version,
            "name": connection.name,
            "logplex_log_enabled": connection.logplex_log_enabled,
            "features": {
                key: connection.features[key]
                for key in (
                    "disable_bulk_writes",
                    "poll_db_no_merge",
                    "poll_external_ids",
                    "rest_count_only",
                )
            },
        },
        "mappings": [
            {"object_name": m.object_name, "config": m.config.as_export()}
            for m in connection.mappings.values()
        ],
    }


# --- applying ---------------------------------------------------------------------------------


def _existing_columns(conn: psycopg.Connection, schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _indexed_columns(conn: psycopg.Connection, schema: str, table: str) -> set[str]:
    """Columns that already have a single-column index (whatever its name)."""
    rows = conn.execute(
        """
        SELECT a.attname FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
        WHERE n.nspname = %s AND c.relname = %s AND i.indnatts = 1
        """,
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _trigger_access(conn: psycopg.Connection, schema: str, table: str) -> str | None:
    """The access the installed capture trigger implements, or None when it is missing."""
    row = conn.execute(
        """
        SELECT p.prosrc FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE n.nspname = %s AND c.relname = %s AND t.tgname = %s
        """,
        [schema, table, f"hc_{table}_logtrigger"],
    ).fetchone()
    if row is None:
        return None
    return ddl.READ_ONLY if ":= 'READONLY'" in row[0] else ddl.READ_WRITE


def synced_fields(mapping: Mapping) -> list[str]:
    """The mapped fields, with ``Id`` first when the config does not list it."""
    names = list(mapping.fields)
    return names if "Id" in names else ["Id", *names]


def mapping_columns(org: Any, mapping: Mapping) -> list[ddl.ColumnSpec]:
    """The data columns of a mapping with Heroku Connect's types (``sfid`` included)."""
    return [
        ddl.ColumnSpec(column_name(name), org.column_type(mapping.object_name, name))
        for name in synced_fields(mapping)
    ]


def mapping_indexes(mapping: Mapping) -> dict[str, bool]:
    """``{column: unique}``: the config's indexes plus a unique one on the upsert field."""
    indexes = {column_name(name): spec["unique"] for name, spec in mapping.config.indexes.items()}
    if mapping.upsert_field:
        indexes.setdefault(column_name(mapping.upsert_field), True)
    return indexes


def apply_table(conn: psycopg.Connection, org: Any, schema: str, mapping: Mapping) -> bool:
    """Create or adopt/alter the mapped table; returns True when the table was created."""
    table = mapping.table_name
    columns = mapping_columns(org, mapping)
    indexes = mapping_indexes(mapping)
    with conn.transaction():
        if not table_exists(conn, schema, table):
            for statement in ddl.mapped_table_sql(
                schema, table, columns, indexes, access=mapping.access
            ):
                conn.execute(statement)
            return True
        target = sql.SQL(ddl.qualified(schema, table))
        existing = _existing_columns(conn, schema, table)
        for column in columns:
            if column.name not in existing:
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                        target, sql.Identifier(column.name), sql.SQL(column.sql_type)
                    )
                )
        for column in ("_hc_lastop", "_hc_err"):
            if column not in existing:
                kind = "character varying(32)" if column == "_hc_lastop" else "text"
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                        target, sql.Identifier(column), sql.SQL(kind)
                    )
                )
        indexed = _indexed_columns(conn, schema, table)
        missing_indexes = {c: u for c, u in indexes.items() if c not in indexed}
        for statement in ddl.index_sql(schema, table, missing_indexes):
            conn.execute(statement)
        if _trigger_access(conn, schema, table) != mapping.access:
            for statement in ddl.table_trigger_sql(schema, table, mapping.access):
                conn.execute(statement)
    return False


def _row_values(org: Any, mapping: Mapping, record: dict[str, Any]) -> list[Any]:
    return [org.field_value(mapping.object_name, record, name) for name in synced_fields(mapping)]


def _adopt_unknown_rows(
    cursor: psycopg.Cursor, org: Any, target: sql.Composable, mapping: Mapping, sfids: set[str]
) -> None:
    """Rows synced from "Salesforce" in an earlier run (their sfid unknown to a restarted org):
    the org takes them in, as Salesforce kept them."""
    known = {record["Id"] for record in org.records(mapping.object_name)}
    unknown = sorted(sfids - known)
    if not unknown:
        return
    fields = synced_fields(mapping)
    columns = sql.SQL(", ").join(sql.Identifier(column_name(name)) for name in fields)
    rows = cursor.execute(
        sql.SQL("SELECT {} FROM {} WHERE sfid = ANY(%s)").format(columns, target), [unknown]
    ).fetchall()
    org.adopt(mapping.object_name, [dict(zip(fields, row, strict=True)) for row in rows])


def load_records(
    conn: psycopg.Connection, org: Any, schema: str, mapping: Mapping, *, reload: bool
) -> int:
    """Load the org's records into the mapped table, as Heroku Connect (not captured).

    ``reload`` deletes the rows that have an sfid first (rows still waiting for their first
    write keep their place); otherwise rows are matched by sfid: existing ones are updated,
    new ones inserted. Returns the number of records loaded.
    """
    records = org.records(mapping.object_name)
    columns = [column_name(n) for n in synced_fields(mapping)]
    target = sql.SQL(ddl.qualified(schema, mapping.table_name))
    rows = [_row_values(org, mapping, r) for r in records]
    column_list = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    placeholders = sql.SQL(", ").join(sql.Placeholder() * len(columns))
    with conn.transaction(), conn.cursor() as cursor:
        if reload:
            cursor.execute(sql.SQL("DELETE FROM {} WHERE sfid IS NOT NULL").format(target))
        else:
            sfid_at = columns.index("sfid")
            others = [c for c in columns if c != "sfid"]
            existing = {
                r[0]
                for r in cursor.execute(
                    sql.SQL("SELECT sfid FROM {} WHERE sfid IS NOT NULL").format(target)
                ).fetchall()
            }
            _adopt_unknown_rows(cursor, org, target, mapping, existing)
            updates = [row for row in rows if row[sfid_at] in existing]
            rows = [row for row in rows if row[sfid_at] not in existing]
            if updates and others:
                assignments = sql.SQL(", ").join(
                    sql.SQL("{} = %s").format(sql.Identifier(c)) for c in others
                )
                cursor.executemany(
                    sql.SQL("UPDATE {} SET {} WHERE sfid = %s").format(target, assignments),
                    [
                        [v for i, v in enumerate(row) if i != sfid_at] + [row[sfid_at]]
                        for row in updates
                    ],
                )
        if rows:
            cursor.executemany(
                sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    target, column_list, placeholders
                ),
                rows,
            )
    return len(records)


class Importer:
    """Applies validated imports and reloads in background threads, one at a time."""

    def __init__(
        self,
        *,
        dsn: str,
        org: Any,
        state: SimulatorState,
        import_seconds: float = 0.0,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.dsn = dsn
        self.org = org
        self.state = state
        self.import_seconds = import_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start_import(self, planned: list[PlannedMapping]) -> list[str]:
        """Enter IMPORT_CONFIGURATION and apply ``planned`` in a thread; returns the warnings.

        Raises :class:`~heroku_connect.simulator.state.StateError` (409) when busy.
        """
        self.state.begin_import()
        warnings = []
        touched: list[tuple[str, bool]] = []  # (mapping id, new)
        for plan in planned:
            existing = self.state.mapping_for_object(plan.object_name)
            for warning in plan.warnings:
                message = f"{plan.object_name}: {warning}"
                warnings.append(message)
                self.state.add_notification("mapping-error", message)
            if existing is None:
                touched.append((self.state.add_mapping(plan.object_name, plan.config).id, True))
            elif not existing.config.same_deployment(plan.config):
                self.state.update_mapping_config(existing.id, plan.config)
                touched.append((existing.id, False))
        self._spawn(self._run_import, touched)
        return warnings

    def start_recovery(self, mapping_ids: list[str]) -> None:
        """Re-apply (``RESYNC``) mappings after a restart; the connection is in RECOVERY."""
        if mapping_ids:
            self._spawn(self._run_recovery, mapping_ids)

    def start_reload(self, mapping_id: str) -> None:
        self.state.set_mapping_state(mapping_id, MappingState.RELOAD_TABLE)
        self._spawn(self._run_reload, mapping_id)

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self._threads):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="hc-sim-import")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run_import(self, touched: Iterable[tuple[str, bool]]) -> None:
        steps = list(touched)
        try:
            with self._lock, open_connection(self.dsn) as conn:
                ensure_metadata(conn, self.state.schema, self.state.connection.organization_id)
                pause = self.import_seconds / (2 * len(steps)) if steps else self.import_seconds
                if not steps:
                    self._sleep(self.import_seconds)
                for mapping_id, new in steps:
                    self._apply_one(conn, mapping_id, new=new, pause=pause)
        except Exception as exc:
            logger.exception("import failed")
            self._fail([mapping_id for mapping_id, _ in steps], exc, "The configuration import")
        finally:
            self.state.end_import()

    def _run_recovery(self, mapping_ids: list[str]) -> None:
        try:
            with self._lock, open_connection(self.dsn) as conn:
                ensure_metadata(conn, self.state.schema, self.state.connection.organization_id)
                for mapping_id in mapping_ids:
                    self._apply_one(conn, mapping_id, new=False, pause=self.import_seconds / 2)
        except Exception as exc:
            logger.exception("recovery failed")
            self._fail(mapping_ids, exc, "The recovery")
        finally:
            self.state.end_recovery()

    def _fail(self, mapping_ids: Iterable[str], exc: Exception, what: str) -> None:
        """An import or reload failed: error states and a notification (no details leaked).

        An unreachable database gives DB_UNAVAILABLE and a ``postgres-connection``
        notification with Connect's log text; anything else SYSTEM_ERROR.
        """
        if isinstance(exc, psycopg.OperationalError):
            connection_state, mapping_state = "DB_UNAVAILABLE", MappingState.DB_UNAVAILABLE
            event, message = (
                "postgres-connection",
                "database unavailable [InvalidDatabaseException]",
            )
        else:
            connection_state, mapping_state = "SYSTEM_ERROR", MappingState.SYSTEM_ERROR
            event, message = "mapping-error", f"{what} failed ({type(exc).__name__})."
        self.state.set_connection_state(connection_state)
        for mapping_id in mapping_ids:
            mapping = self.state.mapping(mapping_id)
            if mapping is not None and mapping.state != MappingState.DATA_SYNCED:
                self.state.set_mapping_state(mapping_id, mapping_state)
        self.state.add_notification(event, message)

    def _apply_one(self, conn: psycopg.Connection, mapping_id: str, *, new: bool, pause: float):
        mapping = self.state.mapping(mapping_id)
        if mapping is None:  # deleted meanwhile
            return
        self._sleep(pause)
        created = apply_table(conn, self.org, self.state.schema, mapping)
        self.state.set_mapping_state(
            mapping_id, MappingState.RELOAD_TABLE if new else MappingState.RESYNC
        )
        self._sleep(pause)
        load_records(conn, self.org, self.state.schema, mapping, reload=False)
        now = utcnow()
        self.state.touch(mapping_id, "sf_poll", now)
        self.state.touch(mapping_id, "db_write", now)
        self.state.set_mapping_state(mapping_id, MappingState.DATA_SYNCED)
        logger.info(
            "%s %s: %s", "created" if created else "adopted", mapping.table_name, "DATA_SYNCED"
        )

    def _run_reload(self, mapping_id: str) -> None:
        try:
            with self._lock, open_connection(self.dsn) as conn:
                mapping = self.state.mapping(mapping_id)
                if mapping is None:
                    return
                self._sleep(self.import_seconds / 2)
                load_records(conn, self.org, self.state.schema, mapping, reload=True)
                self.state.touch(mapping_id, "sf_poll")
                self.state.set_mapping_state(mapping_id, MappingState.DATA_SYNCED)
        except Exception as exc:
            logger.exception("reload failed")
            self._fail([mapping_id], exc, "The reload")
