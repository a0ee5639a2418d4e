"""Run the Heroku Connect simulator in tests (no pytest plugin needed).

    from heroku_connect.test.simulator import running_simulator

    with running_simulator(database_url, initial_mapping=get_mapping()) as sim:
        sim.wait_idle()
        ...  # point HEROKU_CONNECT_API_ENDPOINT at sim.api_url, HEROKU_AUTH_TOKEN at sim.token

The simulator writes through its own database connections (committed, visible to every
session), so tests using it should not rely on a wrapping transaction (pytest-django:
``transactional_db`` / ``django_db(transaction=True)``).

On exit the database is put back as it was found (``restore=True``): tables, indexes and
triggers the simulator created are dropped, columns it added to existing tables are removed,
rows it loaded into existing tables and trigger-log rows written meanwhile are deleted (as
Heroku Connect, so nothing is captured), a trigger whose access it changed is put back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from heroku_connect import schema as ddl
from heroku_connect.db.database_url import connection_params

__all__ = ("DatabaseSnapshot", "running_simulator", "dsn_from_settings_dict")


def dsn_from_settings_dict(settings_dict: dict[str, Any]) -> str:
    """A libpq DSN for a Django ``DATABASES`` entry (uses the test ``NAME`` once set up)."""
    return psycopg.conninfo.make_conninfo(**connection_params(settings_dict))


@dataclass
class TableSnapshot:
    columns: set[str]
    indexes: set[str]
    trigger_access: str | None
    max_id: int | None = None


def _schema_shape(conn: psycopg.Connection, schema: str) -> dict[str, TableSnapshot]:
    """Every table of ``schema`` with its columns, indexes and capture-trigger access.

    Three catalogue queries, whatever the number of tables (the fixture runs per test).
    """
    tables: dict[str, TableSnapshot] = {}
    for table, column in conn.execute(
        """
        SELECT c.relname, a.attname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
        """,
        [schema],
    ).fetchall():
        tables.setdefault(table, TableSnapshot(set(), set(), None)).columns.add(column)
    for table, index in conn.execute(
        "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s", [schema]
    ).fetchall():
        if table in tables:
            tables[table].indexes.add(index)
    for table, source in conn.execute(
        """
        SELECT c.relname, p.prosrc FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE n.nspname = %s AND t.tgname = 'hc_' || c.relname || '_logtrigger'
        """,
        [schema],
    ).fetchall():
        if table in tables:
            tables[table].trigger_access = (
                ddl.READ_ONLY if ":= 'READONLY'" in source else ddl.READ_WRITE
            )
    return tables


@dataclass
class DatabaseSnapshot:
    """What the schema looked like before the simulator ran, and how to get back there."""

    schema: str
    schema_existed: bool = False
    tables: dict[str, TableSnapshot] = field(default_factory=dict)
    log_max_id: int = 0

    @classmethod
    def take(cls, dsn: str, schema: str) -> DatabaseSnapshot:
        snapshot = cls(schema)
        with psycopg.connect(dsn, autocommit=True) as conn:
            snapshot.schema_existed = (
                conn.execute("SELECT to_regnamespace(%s)", [ddl.quote_ident(schema)]).fetchone()[0]
                is not None
            )
            if not snapshot.schema_existed:
                return snapshot
            snapshot.tables = _schema_shape(conn, schema)
            with_id = sorted(t for t, shape in snapshot.tables.items() if "id" in shape.columns)
            if with_id:
                query = " UNION ALL ".join(
                    f"SELECT %s, max(id) FROM {ddl.qualified(schema, t)}" for t in with_id
                )
                for table, max_id in conn.execute(query, with_id).fetchall():
                    snapshot.tables[table].max_id = max_id
            snapshot.log_max_id = max(
                (snapshot.tables[t].max_id or 0) if t in snapshot.tables else 0
                for t in (ddl.TRIGGER_LOG_TABLE, ddl.TRIGGER_LOG_ARCHIVE_TABLE)
            )
        return snapshot

    def restore(self, dsn: str) -> None:
        """Undo what happened in the schema since :meth:`take` (one transaction)."""
        q = ddl.quote_ident
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl.CONNECT_SESSION_SQL)
            with conn.transaction():
                if not self.schema_existed:
                    conn.execute(f"DROP SCHEMA IF EXISTS {q(self.schema)} CASCADE")
                    return
                for table, now in _schema_shape(conn, self.schema).items():
                    before = self.tables.get(table)
                    if before is None:
                        conn.execute(f"DROP TABLE {ddl.qualified(self.schema, table)} CASCADE")
                        for kind in ("logger", "status"):
                            conn.execute(
                                f"DROP FUNCTION IF EXISTS {q(self.schema)}."
                                f"{q(f'hc_{table}_{kind}')}() CASCADE"
                            )
                        continue
                    self._restore_table(conn, table, before, now)

    def _restore_table(
        self, conn: psycopg.Connection, table: str, before: TableSnapshot, now: TableSnapshot
    ) -> None:
        q = ddl.quote_ident
        target = ddl.qualified(self.schema, table)
        if table in (ddl.TRIGGER_LOG_TABLE, ddl.TRIGGER_LOG_ARCHIVE_TABLE):
            conn.execute(f"DELETE FROM {target} WHERE id > %s", [self.log_max_id])
            return
        if "id" in before.columns:
            conn.execute(f"DELETE FROM {target} WHERE id > %s", [before.max_id or 0])
        for index in now.indexes - before.indexes:
            conn.execute(f"DROP INDEX IF EXISTS {q(self.schema)}.{q(index)}")
        for column in now.columns - before.columns:
            conn.execute(f"ALTER TABLE {target} DROP COLUMN {q(column)}")
        if before.trigger_access is None and now.trigger_access is not None:
            for name in (f"hc_{table}_logtrigger", f"hc_{table}_status_trigger"):
                conn.execute(f"DROP TRIGGER IF EXISTS {q(name)} ON {target}")
        elif before.trigger_access is not None and now.trigger_access != before.trigger_access:
            ddl.execute_all(conn, ddl.table_trigger_sql(self.schema, table, before.trigger_access))


@contextmanager
def running_simulator(database_url: str, *, restore: bool = True, **kwargs: Any) -> Iterator[Any]:
    """A started :class:`~heroku_connect.simulator.Simulator` (ephemeral port), stopped on exit.

    ``kwargs`` go to ``Simulator`` (``ordered_writes``, ``initial_mapping``, ``loops``, speeds,
    ...). With ``restore`` the schema is put back as it was found, also when the block raises.
    """
    from heroku_connect.simulator.core import Simulator

    schema_name = kwargs.get("schema", "salesforce")
    snapshot = DatabaseSnapshot.take(database_url, schema_name) if restore else None
    simulator = Simulator(database_url, **kwargs)
    try:
        simulator.start(port=0)
        yield simulator
    finally:
        simulator.stop()
        if snapshot is not None:
            snapshot.restore(database_url)
