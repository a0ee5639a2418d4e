"""The sync engine: Heroku Connect's write loop, read loop and trigger-log archiver.

:class:`SyncEngine` works on a real PostgreSQL database with the simulated org
(:class:`~heroku_connect.simulator.org.Org`) and the simulator's state
(:class:`~heroku_connect.simulator.state.SimulatorState`). Each loop is one method running one
synchronous pass (for deterministic tests); :meth:`SyncEngine.start` runs them in background
threads.

**Write loop** (:meth:`SyncEngine.write_cycle`; docs/heroku-connect/database.md §4, §7, §8).
One pass:

1. ``IGNORE`` rows become ``IGNORED``.
2. Claim: up to ``batch_size`` rows of the read-write mapped tables, in trigger-log order, with
   ``SELECT ... FOR UPDATE SKIP LOCKED``; they become ``PENDING`` and ``processed_tx`` holds the
   engine's claim token. Every engine holds a session-level advisory lock on its token for its
   lifetime, so ``PENDING`` rows of an engine that died (its lock is gone) are claimed again,
   while those of a live engine are never touched.
3. Write: ordered writes (``features.poll_db_no_merge`` true) send each row on its own, in order;
   merged writes fold all claimed rows of one record into one write. Inserts and updates are
   upserts on the mapping's ``upsert_field``; a row with an sfid updates that record. A
   transient ``UNABLE_TO_LOCK_ROW`` fails a write at ``transient_failure_rate`` (seeded).
4. Each write commits on its own: the org change, the write-back to the mapped row and the
   trigger-log state change happen together or not at all (the org change is undone when the
   database transaction fails), so a crash never loses or repeats a write.

States and columns the simulator sets (where Heroku Connect's are unconfirmed):

* success: ``SUCCESS``, ``sfid`` written back to the row (and to the log row of an insert),
  ``_hc_lastop`` ``INSERTED`` (a record was created) or ``UPDATED``;
* merged writes: the folded rows become ``MERGED`` and the last row carries the result; when
  the folded write fails, every row of the group becomes ``FAILED`` (so a retry re-sends all
  the changes);
* failure: ``FAILED``, ``sf_message`` = the Salesforce message text (no status-code prefix),
  ``_hc_lastop`` ``FAILED`` and ``_hc_err`` a JSON object ``{"op", "src": "SFDC", "msg",
  "code"}``; ``sf_result`` stays NULL;
* ``processed_at`` / ``updated_at`` = now and ``processed_tx`` = the writing transaction.

Writes go through a session with ``xmlbinary = 'hex'`` (``CONNECT_SESSION_SQL``), so the
capture triggers never log them.

**Archiver** (:meth:`SyncEngine.archive_cycle`): ``SUCCESS``, ``IGNORED``, ``MERGED``,
``READONLY`` and ``REQUEUED`` (re-captured by an operator's retry) rows move to
``_trigger_log_archive`` (same ids) once their last change (``updated_at``) is older than
``archive_after`` seconds, ``FAILED`` rows once older than ``failed_archive_after`` (default
24 hours, the write-errors window of the API); archive rows in ``REQUEUE`` are copied back into
``_trigger_log`` as ``NEW`` and become ``REQUEUED``. Each step is one transaction.

**Read loop** (:meth:`SyncEngine.read_cycle`): per mapping, every ``sf_polling_seconds`` (or
``read_interval`` seconds when set), the org makes some changes of its own
(:meth:`Org.generate_changes`) and every record changed since the last poll, including those the
write loop wrote, is applied to the mapped table as Heroku Connect (``_hc_lastop`` becomes
``SYNCED``): by sfid, soft deletes set ``isdeleted`` (rows of objects without ``IsDeleted``
are deleted), purged records are deleted. A row with an application change still waiting to be
written (``_hc_lastop = 'PENDING'``) keeps its values (counted as ``skipped``); the poll after
that write brings the record back.

**Application activity** (:meth:`SyncEngine.activity_cycle`, demos only): with
``activity_interval`` set, :class:`~heroku_connect.simulator.activity.ApplicationActivity`
writes to the mapped tables like an application, ``failure_rate`` of them with data Salesforce
rejects, so the write loop has a realistic mix of successes and failures to process.

When ``_hcmeta`` or a trigger-log table disappears, the connection becomes ``DB_UNAVAILABLE``
with a ``postgres-connection`` notification "DB is missing Connect metadata
[DatabaseValidationFailed]" (docs/heroku-connect/database.md §1) until an operator restarts it.

Heroku Connect's loops do nothing while the connection is paused, importing or in an error
state (application writes are still captured by the triggers, and the demo's application
activity goes on); mappings being created, altered or reloaded, or in an error state
(``BAD_CONFIG``, ...), are skipped.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from heroku_connect.schema import (
    CONNECT_SESSION_SQL,
    TRIGGER_LOG_ARCHIVE_TABLE,
    TRIGGER_LOG_TABLE,
    qualified,
)
from heroku_connect.simulator import errors
from heroku_connect.simulator.activity import ApplicationActivity
from heroku_connect.simulator.errors import SalesforceError
from heroku_connect.simulator.org import Org
from heroku_connect.simulator.state import (
    ConnectionState,
    Mapping,
    MappingState,
    SimulatorState,
    column_name,
)
from heroku_connect.states import ERROR_MAPPING_STATES, TEMPORARY_ERROR_MAPPING_STATES

__all__ = ("ADVISORY_NAMESPACE", "APPLICATION_NAME", "SyncEngine")

logger = logging.getLogger("heroku_connect.simulator.engine")

#: First key of the engines' advisory locks (``pg_advisory_lock(namespace, token)``).
ADVISORY_NAMESPACE = 0x48434F50  # "HCOP"

#: ``application_name`` of the engine's database sessions (visible in ``pg_stat_activity``).
APPLICATION_NAME = "heroku-connect-simulator-engine"

#: Mapping states in which the table is being created, altered or reloaded.
_BUSY_MAPPING_STATES = frozenset(
    {*TEMPORARY_ERROR_MAPPING_STATES, MappingState.RELOAD_TABLE, MappingState.RESYNC}
)
_METADATA_TABLES = ("_hcmeta", TRIGGER_LOG_TABLE, TRIGGER_LOG_ARCHIVE_TABLE)
_ARCHIVED_STATES = ("SUCCESS", "IGNORED", "MERGED", "READONLY", "REQUEUED")
_LOG_COLUMNS = (
    "id",
    "txid",
    "created_at",
    "updated_at",
    "processed_at",
    "processed_tx",
    "state",
    "action",
    "table_name",
    "record_id",
    "sfid",
    "old",
    "values",
    "sf_result",
    "sf_message",
)


@dataclass
class _Unit:
    """One write to the org: one trigger-log row (ordered) or a folded group (merged)."""

    table: str
    record_id: int
    action: str  # INSERT, UPDATE or DELETE
    log_ids: list[int]
    values: dict[str, str | None] = field(default_factory=dict)
    sfid: str | None = None


class SyncEngine:
    """Heroku Connect's sync machinery for one connection (see the module docstring)."""

    def __init__(
        self,
        database_url: str,
        *,
        schema: str = "salesforce",
        org: Org,
        state: SimulatorState,
        write_interval: float = 10.0,
        read_interval: float | None = None,
        archive_after: float = 3600.0,
        failed_archive_after: float = 24 * 3600.0,
        transient_failure_rate: float = 0.0,
        rng_seed: int = 0,
        batch_size: int = 200,
        max_read_changes: int = 3,
        lock_timeout: float = 5.0,
        activity_interval: float | None = None,
        failure_rate: float = 0.1,
    ) -> None:
        if not 0.0 <= transient_failure_rate <= 1.0:
            raise ValueError("transient_failure_rate must be between 0 and 1")
        self.database_url = database_url
        self.schema = schema
        self.org = org
        self.state = state
        self.write_interval = write_interval
        self.read_interval = read_interval
        self.archive_after = archive_after
        self.failed_archive_after = failed_archive_after
        self.transient_failure_rate = transient_failure_rate
        self.batch_size = batch_size
        self.max_read_changes = max_read_changes
        self.lock_timeout = lock_timeout
        self._write_rng = random.Random(rng_seed)
        self._read_rng = random.Random(rng_seed + 1)
        #: This engine's claim token (``processed_tx`` of the rows it holds PENDING).
        self.token = secrets.randbelow(2**31 - 2) + 1
        self._lease: psycopg.Connection | None = None
        self._connections: dict[str, psycopg.Connection] = {}
        self._locks = {name: threading.Lock() for name in ("write", "read", "archive", "activity")}
        self._cursors: dict[str, int] = {}
        self._start_sequence = org.sequence
        self._last_poll: dict[str, float] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        #: The demo's application writes (:mod:`~heroku_connect.simulator.activity`); its loop
        #: runs only when ``activity_interval`` is set.
        self.activity = ApplicationActivity(
            database_url,
            schema=schema,
            org=org,
            state=state,
            failure_rate=failure_rate,
            rng_seed=rng_seed,
        )
        self.activity_interval = activity_interval
        self._log = sql.SQL("{}.{}").format(
            sql.Identifier(schema), sql.Identifier(TRIGGER_LOG_TABLE)
        )
        self._archive = sql.SQL("{}.{}").format(
            sql.Identifier(schema), sql.Identifier(TRIGGER_LOG_ARCHIVE_TABLE)
        )

    def __repr__(self) -> str:
        return f"<SyncEngine schema={self.schema!r} token={self.token}>"

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Run the three loops in daemon threads until :meth:`stop`."""
        if self._threads:
            return
        self._stop.clear()
        read_tick = min(1.0, self.read_interval) if self.read_interval else 1.0
        archive_tick = min(60.0, max(0.5, min(self.archive_after, self.failed_archive_after) / 2))
        loops: list[tuple[str, Callable[[], Any], float]] = [
            ("write", self.write_cycle, self.write_interval),
            ("read", lambda: self.read_cycle(force=False), read_tick),
            ("archive", self.archive_cycle, archive_tick),
        ]
        if self.activity_interval is not None:
            loops.append(("activity", self.activity_cycle, self.activity_interval))
        for name, cycle, interval in loops:
            thread = threading.Thread(
                target=self._loop, args=(name, cycle, interval), name=f"hc-sim-{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loops (a pass in progress finishes) and close the database connections."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self.close()

    def close(self) -> None:
        """Close every database connection; the claim lease ends with it."""
        for name in list(self._connections):
            self._drop_connection(name)
        self.activity.close()
        if self._lease is not None:
            self._lease.close()
            self._lease = None

    def activity_cycle(self) -> dict[str, int]:
        """One round of the demo's application writes (captured by the triggers)."""
        with self._locks["activity"]:
            return self.activity.cycle()

    def _loop(self, name: str, cycle: Callable[[], Any], interval: float) -> None:
        while not self._stop.is_set():
            try:
                cycle()
            except Exception:
                logger.exception("simulator %s cycle failed; retrying in %.1f s", name, interval)
                self._drop_connection(name)
                if name == "activity":
                    self.activity.close()
            self._stop.wait(interval)

    # --- connections ----------------------------------------------------------------------

    def _open(self) -> psycopg.Connection:
        return psycopg.connect(
            self.database_url,
            autocommit=True,
            connect_timeout=10,
            application_name=APPLICATION_NAME,
        )

    def _connect(self) -> psycopg.Connection:
        """A connection writing as Heroku Connect (not captured by the triggers), in UTC."""
        conn = self._open()
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute(CONNECT_SESSION_SQL)
        conn.execute(
            sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{int(self.lock_timeout * 1000)}"))
        )
        return conn

    def _connection(self, name: str) -> psycopg.Connection:
        conn = self._connections.get(name)
        if conn is None or conn.closed:
            conn = self._connections[name] = self._connect()
        return conn

    def _drop_connection(self, name: str) -> None:
        conn = self._connections.pop(name, None)
        if conn is not None:
            conn.close()

    def _ensure_lease(self) -> None:
        """Hold the advisory lock that tells other engines our PENDING rows are in progress.

        A lost lease (its session dropped) is taken again. Meanwhile another engine may have
        claimed our PENDING rows; that is safe, because each write re-checks the claim token
        under the row lock.
        """
        if self._lease is not None and not self._lease.closed:
            try:
                self._lease.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                self._lease.close()
        self._lease = self._open()
        self._lease.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, self.token])

    # --- mappings -------------------------------------------------------------------------

    def _write_mappings(self) -> dict[str, Mapping]:
        return {
            m.table_name: m
            for m in self.state.read_write_mappings()
            if m.state not in _BUSY_MAPPING_STATES and m.state not in ERROR_MAPPING_STATES
        }

    def _read_mappings(self) -> list[Mapping]:
        return [
            m
            for m in self.state.mappings()
            if m.state not in _BUSY_MAPPING_STATES and m.state not in ERROR_MAPPING_STATES
        ]

    def _table(self, table: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))

    # --- write loop -----------------------------------------------------------------------

    def write_cycle(self) -> dict[str, int]:
        """One pass of the write loop; returns the number of rows per resulting state."""
        counts: Counter[str] = Counter()
        with self._locks["write"], self.state.polling_db() as syncing:
            if not syncing:
                return {}
            mappings = self._write_mappings()
            if not mappings:
                return {}
            for mapping in mappings.values():
                self.state.touch(mapping.id, "db_poll")
            conn = self._connection("write")
            if not self._metadata_present(conn):
                return {}
            self._ensure_lease()
            counts["IGNORED"] += self._ignore_noops(conn, list(mappings))
            claimed = self._claim(conn, list(mappings))
            units = self._units(claimed, ordered=self.state.ordered_writes)
            blocked: set[tuple[str, int]] = set()
            per_mapping: dict[str, tuple[Mapping, Counter[str]]] = {}
            for unit in units:
                key = (unit.table, unit.record_id)
                if key in blocked:  # an earlier change of this record is still waiting
                    continue
                mapping = mappings[unit.table]
                self.state.set_actively_writing(mapping.id, True)
                try:
                    outcome = self._process(conn, mapping, unit)
                finally:
                    self.state.set_actively_writing(mapping.id, False)
                if outcome is None:
                    blocked.add(key)
                    continue
                if outcome:
                    counts.update(outcome)
                    per_mapping.setdefault(mapping.id, (mapping, Counter()))[1].update(outcome)
                    self.state.touch(mapping.id, "sf_write")
            for mapping, outcome in per_mapping.values():
                self._log_event(
                    f"{mapping.object_name} UPSERT \u2191SALESFORCE {sum(outcome.values())} rows "
                    f"({', '.join(f'{n} {state}' for state, n in sorted(outcome.items()))})",
                    mapping,
                )
        return {state: n for state, n in counts.items() if n}

    def _log_event(self, event: str, mapping: Mapping | None = None) -> None:
        """An INFO line shaped like Heroku Connect's Logplex output
        (docs/heroku-connect/api.md §7)."""
        if mapping is None:
            target = f"object_type=sync object_id={self.state.connection_id}"
            state = self.state.connection_state
        else:
            target = f"object_type=mapping object_id={mapping.id}"
            state = mapping.state
        logger.info('event="%s" %s state=%s level=info', event, target, state.value)

    def _metadata_present(self, conn: psycopg.Connection) -> bool:
        """False (and the connection DB_UNAVAILABLE, with a notification) when Connect's
        metadata tables are gone; an operator's restart brings the connection back."""
        names = [qualified(self.schema, t) for t in _METADATA_TABLES]
        row = conn.execute(
            "SELECT " + " AND ".join(["to_regclass(%s) IS NOT NULL"] * len(names)), names
        ).fetchone()
        if row is not None and row[0]:
            return True
        self.state.set_connection_state(ConnectionState.DB_UNAVAILABLE)
        self.state.add_notification(
            "postgres-connection", "DB is missing Connect metadata [DatabaseValidationFailed]"
        )
        logger.warning("Connect's metadata tables are missing in schema %s", self.schema)
        return False

    def _ignore_noops(self, conn: psycopg.Connection, tables: list[str]) -> int:
        query = sql.SQL(
            """
            WITH noop AS (
                SELECT id FROM {log} WHERE state = 'IGNORE' AND table_name = ANY(%s)
                ORDER BY id FOR UPDATE SKIP LOCKED
            )
            UPDATE {log} t SET state = 'IGNORED', processed_at = now(), updated_at = now(),
                processed_tx = txid_current()
            FROM noop WHERE t.id = noop.id
            """
        ).format(log=self._log)
        return conn.execute(query, [tables]).rowcount

    def _claim(self, conn: psycopg.Connection, tables: list[str]) -> list[dict[str, Any]]:
        """Mark the next NEW rows (and orphaned PENDING ones) PENDING with our token."""
        query = sql.SQL(
            """
            WITH claimable AS (
                SELECT id FROM {log}
                WHERE table_name = ANY(%(tables)s)
                  AND (state = 'NEW' OR (state = 'PENDING' AND (
                        processed_tx IS NULL OR processed_tx = %(token)s OR
                        CASE WHEN processed_tx BETWEEN 1 AND 2147483647
                             THEN pg_try_advisory_xact_lock(%(ns)s, processed_tx::integer)
                             ELSE true END)))
                ORDER BY id
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {log} t SET state = 'PENDING', processed_tx = %(token)s, updated_at = now()
            FROM claimable WHERE t.id = claimable.id
            RETURNING t.id, t.action, t.table_name, t.record_id, t.sfid,
                public.hstore_to_json(t."values"::public.hstore) AS "values"
            """
        ).format(log=self._log)
        params = {
            "tables": tables,
            "token": self.token,
            "ns": ADVISORY_NAMESPACE,
            "limit": self.batch_size,
        }
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return sorted(rows, key=lambda r: r["id"])

    @staticmethod
    def _units(rows: list[dict[str, Any]], *, ordered: bool) -> list[_Unit]:
        """Ordered: one unit per row. Merged: one unit per record, in order of first change."""
        units: list[_Unit] = []
        by_record: dict[tuple[str, int], _Unit] = {}
        for row in rows:
            values = row["values"] or {}
            key = (row["table_name"], row["record_id"])
            unit = None if ordered else by_record.get(key)
            if unit is None:
                unit = _Unit(
                    table=row["table_name"],
                    record_id=row["record_id"],
                    action=row["action"],
                    log_ids=[row["id"]],
                    values=dict(values),
                    sfid=row["sfid"],
                )
                units.append(unit)
                by_record[key] = unit
                continue
            unit.log_ids.append(row["id"])
            unit.values.update(values)
            unit.sfid = unit.sfid or row["sfid"]
            if row["action"] == "DELETE":
                unit.action = "DELETE"
            elif unit.action != "INSERT":
                unit.action = row["action"]
        return units

    def _process(
        self, conn: psycopg.Connection, mapping: Mapping, unit: _Unit
    ) -> dict[str, int] | None:
        """Write one unit to the org and record the outcome; None when its rows are locked."""
        sfid: str | None = None
        try:
            # Pipeline mode: the locks go out in one round trip, the updates and the commit in
            # another; errors (locks, unique violations) still surface inside the blocks.
            with self.org.transaction(), conn.pipeline(), conn.transaction():
                current = self._lock_unit(conn, unit)
                if current is None:
                    return {}
                try:
                    sfid, created = self._write_to_org(mapping, unit, current)
                except SalesforceError as exc:
                    self._record_failure(conn, unit, current, exc)
                    return {"FAILED": len(unit.log_ids)}
                # A UniqueViolation here (another row holds this sfid) rolls the transaction
                # back and, leaving the org's transaction too, undoes the org write.
                self._record_success(conn, unit, current, sfid, created)
        except psycopg.errors.UniqueViolation:
            with conn.transaction():
                current = self._lock_unit(conn, unit)
                if current is None:
                    return {}
                self._record_failure(conn, unit, current, errors.duplicate_value("Id", sfid or ""))
            return {"FAILED": len(unit.log_ids)}
        except psycopg.errors.LockNotAvailable:
            return None
        if len(unit.log_ids) > 1:
            return {"SUCCESS": 1, "MERGED": len(unit.log_ids) - 1}
        return {"SUCCESS": 1}

    def _lock_unit(self, conn: psycopg.Connection, unit: _Unit) -> dict[str, Any] | None:
        """Lock the unit's log rows (still ours) and its mapped row; returns the row (or {}).

        Never waits (``NOWAIT``): the org's lock is held, and a row locked by an application
        transaction is simply written in a later pass (it stays PENDING with our token).
        """
        logs = conn.execute(
            sql.SQL(
                "SELECT id FROM {} WHERE id = ANY(%s) AND state = 'PENDING' "
                "AND processed_tx = %s ORDER BY id FOR UPDATE NOWAIT"
            ).format(self._log),
            [unit.log_ids, self.token],
        )
        record = conn.cursor(row_factory=dict_row).execute(
            sql.SQL("SELECT * FROM {} WHERE id = %s FOR NO KEY UPDATE NOWAIT").format(
                self._table(unit.table)
            ),
            [unit.record_id],
        )
        if len(logs.fetchall()) != len(unit.log_ids):
            return None  # taken over meanwhile: leave them alone
        row = record.fetchone()
        return row or {}

    def _org_values(
        self, mapping: Mapping, values: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """The mapped, writable fields among ``values`` (keyed by column), by field name."""
        result: dict[str, Any] = {}
        for name in mapping.fields:
            column = column_name(name)
            if column not in values or name == "Id":
                continue
            try:
                describe = self.org.field(mapping.object_name, name)
            except KeyError:
                continue
            if describe.createable if creating else describe.updateable:
                result[name] = values[column]
        return result

    def _write_to_org(
        self, mapping: Mapping, unit: _Unit, current: dict[str, Any]
    ) -> tuple[str | None, bool]:
        sfid = unit.sfid or current.get("sfid")
        if unit.action == "DELETE":
            self._maybe_lock_error(sfid)
            if not sfid:
                return None, False
            self.org.delete(mapping.object_name, sfid)
            return sfid, False
        creating = unit.action == "INSERT" and not sfid
        values = self._org_values(mapping, unit.values, creating=creating)
        upsert_field = mapping.upsert_field
        if upsert_field and upsert_field not in values:
            key_column = column_name(upsert_field)
            if current.get(key_column) not in (None, ""):
                values[upsert_field] = current[key_column]
        self._maybe_lock_error(sfid or self._lock_target(mapping, values))
        return self.org.upsert(
            mapping.object_name, values, upsert_field=upsert_field, sfid=sfid or None
        )

    def _lock_target(self, mapping: Mapping, values: dict[str, Any]) -> str | None:
        """The record a new child would lock: its first lookup's parent."""
        for name, value in values.items():
            try:
                describe = self.org.field(mapping.object_name, name)
            except KeyError:
                continue
            if describe.type == "reference" and value:
                return str(value)
        return None

    def _maybe_lock_error(self, record_id: str | None) -> None:
        if self.transient_failure_rate and self._write_rng.random() < self.transient_failure_rate:
            target = record_id or self.org.organization_id
            raise errors.unable_to_lock_row([target])

    def _record_success(
        self,
        conn: psycopg.Connection,
        unit: _Unit,
        current: dict[str, Any],
        sfid: str | None,
        created: bool,
    ) -> None:
        last, merged = unit.log_ids[-1], unit.log_ids[:-1]
        if unit.action != "DELETE" and sfid and current:
            lastop = "INSERTED" if created else "UPDATED"
            self._write_back(conn, unit, current, {"sfid": sfid, "_hc_err": None}, lastop)
        conn.execute(
            sql.SQL(
                """UPDATE {} SET state = 'SUCCESS', processed_at = now(), updated_at = now(),
                       processed_tx = txid_current(), sf_message = NULL,
                       sfid = COALESCE(sfid, %s)
                   WHERE id = %s"""
            ).format(self._log),
            [sfid, last],
        )
        if merged:
            conn.execute(
                sql.SQL(
                    """UPDATE {} SET state = 'MERGED', processed_at = now(), updated_at = now(),
                           processed_tx = txid_current()
                       WHERE id = ANY(%s)"""
                ).format(self._log),
                [merged],
            )

    def _record_failure(
        self,
        conn: psycopg.Connection,
        unit: _Unit,
        current: dict[str, Any],
        exc: SalesforceError,
    ) -> None:
        if unit.action != "DELETE" and current:
            detail = {"op": unit.action, "src": "SFDC", "msg": exc.message, "code": exc.status_code}
            self._write_back(conn, unit, current, {"_hc_err": json.dumps(detail)}, "FAILED")
        conn.execute(
            sql.SQL(
                """UPDATE {} SET state = 'FAILED', processed_at = now(), updated_at = now(),
                       processed_tx = txid_current(), sf_message = %s
                   WHERE id = ANY(%s)"""
            ).format(self._log),
            [exc.message, unit.log_ids],
        )

    def _write_back(
        self,
        conn: psycopg.Connection,
        unit: _Unit,
        current: dict[str, Any],
        columns: dict[str, Any],
        lastop: str,
    ) -> None:
        """Update the (locked) mapped row as Heroku Connect, with ``_hc_lastop = lastop``.

        The status trigger keeps Connect's ``_hc_lastop`` only when the UPDATE changes it, so a
        row already showing ``lastop`` passes through ``PENDING`` first.
        """
        table = self._table(unit.table)
        if current.get("_hc_lastop") == lastop:
            conn.execute(
                sql.SQL("UPDATE {} SET _hc_lastop = 'PENDING' WHERE id = %s").format(table),
                [unit.record_id],
            )
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(column)) for column in columns
        )
        conn.execute(
            sql.SQL("UPDATE {} SET {}, _hc_lastop = %s WHERE id = %s").format(table, assignments),
            [*columns.values(), lastop, unit.record_id],
        )

    # --- archive --------------------------------------------------------------------------

    def archive_cycle(self) -> dict[str, int]:
        """Archive processed rows and copy REQUEUE archive rows back; returns both counts."""
        with self._locks["archive"]:
            if not self.state.is_syncing():
                return {}
            conn = self._connection("archive")
            if not self._metadata_present(conn):
                return {}
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in _LOG_COLUMNS)
            archive = sql.SQL(
                """
                WITH due AS (
                    SELECT id FROM {log}
                    WHERE (state = ANY(%(done)s) AND COALESCE(updated_at, processed_at, created_at)
                            < now() - make_interval(secs => %(after)s))
                       OR (state = 'FAILED' AND COALESCE(updated_at, processed_at, created_at)
                            < now() - make_interval(secs => %(failed_after)s))
                    ORDER BY id FOR UPDATE SKIP LOCKED
                ), moved AS (
                    DELETE FROM {log} t USING due WHERE t.id = due.id RETURNING t.*
                )
                INSERT INTO {archive} ({columns}) SELECT {columns} FROM moved ORDER BY id
                """
            ).format(log=self._log, archive=self._archive, columns=columns)
            requeue = sql.SQL(
                """
                WITH due AS (
                    SELECT id FROM {archive} WHERE state = 'REQUEUE'
                    ORDER BY id FOR UPDATE SKIP LOCKED
                ), copied AS (
                    INSERT INTO {log} (txid, created_at, updated_at, state, action, table_name,
                                       record_id, sfid, old, "values")
                    SELECT txid_current(), now(), now(), 'NEW', a.action, a.table_name,
                           a.record_id, a.sfid, a.old, a."values"
                    FROM {archive} a JOIN due ON due.id = a.id ORDER BY a.id
                    RETURNING 1
                )
                UPDATE {archive} a SET state = 'REQUEUED', updated_at = now()
                FROM due WHERE a.id = due.id
                """
            ).format(log=self._log, archive=self._archive)
            params = {
                "done": list(_ARCHIVED_STATES),
                "after": float(self.archive_after),
                "failed_after": float(self.failed_archive_after),
            }
            with conn.transaction():
                archived = conn.execute(archive, params).rowcount
            with conn.transaction():
                requeued = conn.execute(requeue).rowcount
            if archived or requeued:
                self._log_event(
                    f"ARCHIVE trigger log: {archived} rows archived, {requeued} requeued"
                )
            return {"archived": archived, "requeued": requeued}

    # --- read loop ------------------------------------------------------------------------

    def read_cycle(self, *, force: bool = True, generate: bool = True) -> dict[str, int]:
        """Poll the org for every mapping (only those due unless ``force``); apply changes.

        ``generate`` lets the org make changes of its own first. Returns counts per kind of
        change applied (``insert``, ``update``, ``delete``).
        """
        counts: Counter[str] = Counter()
        with self._locks["read"]:
            if not self.state.is_syncing():
                return {}
            now = time.monotonic()
            for mapping in self._read_mappings():
                interval = self.read_interval or mapping.sf_polling_seconds
                last = self._last_poll.get(mapping.id)
                if not force and last is not None and now - last < interval:
                    continue
                self._last_poll[mapping.id] = now
                if generate and self.max_read_changes:
                    self.org.generate_changes(
                        mapping.object_name, self._read_rng, max_changes=self.max_read_changes
                    )
                cursor = self._cursors.get(mapping.object_name, self._start_sequence)
                changes, new_cursor = self.org.changed_since(mapping.object_name, cursor)
                if changes:
                    applied = self._apply_changes(mapping, changes)
                    counts.update(applied)
                    self.state.touch(mapping.id, "db_write")
                    self._log_event(
                        f"Polling Salesforce found {len(changes)} updated records", mapping
                    )
                self._cursors[mapping.object_name] = new_cursor
                self.state.touch(mapping.id, "sf_poll")
        return {kind: n for kind, n in counts.items() if n}

    def _apply_changes(self, mapping: Mapping, changes: Iterable[Any]) -> Counter[str]:
        counts: Counter[str] = Counter()
        conn = self._connection("read")
        table = self._table(mapping.table_name)
        columns = [column_name(name) for name in mapping.fields]
        soft_delete = "IsDeleted" in mapping.fields
        key = mapping.upsert_field
        with conn.transaction():
            for change in changes:
                if change.kind == "delete":
                    if soft_delete and not change.hard:
                        stamp = "SystemModstamp" in mapping.fields
                        statement = sql.SQL(
                            "UPDATE {} SET isdeleted = true{} WHERE sfid = %s"
                        ).format(table, sql.SQL(", systemmodstamp = %s" if stamp else ""))
                        params = [change.values.get("SystemModstamp")] if stamp else []
                        params.append(change.sfid)
                    else:
                        statement = sql.SQL("DELETE FROM {} WHERE sfid = %s").format(table)
                        params = [change.sfid]
                    counts["delete"] += conn.execute(statement, params).rowcount
                    continue
                values = [
                    self.org.field_value(mapping.object_name, change.values, name)
                    for name in mapping.fields
                ]
                counts[self._upsert_row(conn, table, columns, values, key, change)] += 1
        return counts

    def _upsert_row(
        self,
        conn: psycopg.Connection,
        table: sql.Composed,
        columns: list[str],
        values: list[Any],
        key: str | None,
        change: Any,
    ) -> str:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns
        )
        updated = conn.execute(
            sql.SQL(
                "UPDATE {} SET {} WHERE sfid = %s AND _hc_lastop IS DISTINCT FROM 'PENDING'"
            ).format(table, assignments),
            [*values, change.sfid],
        ).rowcount
        if updated:
            return "update"
        pending = conn.execute(
            sql.SQL("SELECT 1 FROM {} WHERE sfid = %s").format(table), [change.sfid]
        ).fetchone()
        if pending is not None:
            return "skipped"  # an application change waits to be written: keep it
        key_value = change.values.get(key) if key else None
        if key and key_value not in (None, ""):
            # A row written here whose sfid has not come back yet (the race of
            # docs/heroku-connect/database.md §7).
            updated = conn.execute(
                sql.SQL("UPDATE {} SET {} WHERE {} = %s AND sfid IS NULL").format(
                    table, assignments, sql.Identifier(column_name(key))
                ),
                [*values, key_value],
            ).rowcount
            if updated:
                return "update"
        conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                table,
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            ),
            values,
        )
        return "insert"
