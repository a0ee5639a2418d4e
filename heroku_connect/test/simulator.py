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
from psycopg import sql

from heroku_connect import schema as ddl

__all__ = ("DatabaseSnapshot", "running_simulator", "dsn_from_settings_dict")


def dsn_from_settings_dict(settings_dict: dict[str, Any]) -> str:
    """A libpq DSN for a Django ``DATABASES`` entry (uses the test ``NAME`` once set up)."""
    params = {
        "dbname": settings_dict.get("NAME"),
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v})


@dataclass
class TableSnapshot:
    columns: set[str]
    indexes: set[str]
    trigger_access: str | None
    max_id: int | None


@dataclass
class DatabaseSnapshot:
    """What the schema looked like before the simulator ran, and how to get back there."""

    schema: str
    schema_existed: bool = False
    tables: dict[str, TableSnapshot] = field(default_factory=dict)
    log_max_id: int = 0

    @classmethod
    def take(cls, dsn: str, schema: str) -> DatabaseSnapshot:
        from heroku_connect.simulator.importer import _trigger_access

        snapshot = cls(schema)
        with psycopg.connect(dsn, autocommit=True) as conn:
            snapshot.schema_existed = (
                conn.execute(
                    "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [schema]
                ).fetchone()
                is not None
            )
            if not snapshot.schema_existed:
                return snapshot
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                    [schema],
                ).fetchall()
            ]
            for table in tables:
                columns = {
                    r[0]
                    for r in conn.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = %s",
                        [schema, table],
                    ).fetchall()
                }
                indexes = {
                    r[0]
                    for r in conn.execute(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                        [schema, table],
                    ).fetchall()
                }
                max_id = None
                if "id" in columns:
                    max_id = conn.execute(
                        sql.SQL("SELECT max(id) FROM {}").format(
                            sql.SQL(ddl.qualified(schema, table))
                        )
                    ).fetchone()[0]
                snapshot.tables[table] = TableSnapshot(
                    columns, indexes, _trigger_access(conn, schema, table), max_id
                )
            log = snapshot.tables.get(ddl.TRIGGER_LOG_TABLE)
            archive = snapshot.tables.get(ddl.TRIGGER_LOG_ARCHIVE_TABLE)
            snapshot.log_max_id = max(
                (log.max_id or 0) if log else 0, (archive.max_id or 0) if archive else 0
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
                current = [
                    r[0]
                    for r in conn.execute(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                        [self.schema],
                    ).fetchall()
                ]
                for table in current:
                    target = ddl.qualified(self.schema, table)
                    before = self.tables.get(table)
                    if before is None:
                        conn.execute(f"DROP TABLE {target} CASCADE")
                        for kind in ("logger", "status"):
                            conn.execute(
                                f"DROP FUNCTION IF EXISTS {q(self.schema)}."
                                f"{q(f'hc_{table}_{kind}')}() CASCADE"
                            )
                        continue
                    self._restore_table(conn, table, before)

    def _restore_table(self, conn: psycopg.Connection, table: str, before: TableSnapshot) -> None:
        from heroku_connect.simulator.importer import _trigger_access

        q = ddl.quote_ident
        target = ddl.qualified(self.schema, table)
        if table in (ddl.TRIGGER_LOG_TABLE, ddl.TRIGGER_LOG_ARCHIVE_TABLE):
            conn.execute(f"DELETE FROM {target} WHERE id > %s", [self.log_max_id])
            return
        if before.max_id is not None or "id" in before.columns:
            conn.execute(f"DELETE FROM {target} WHERE id > %s", [before.max_id or 0])
        for index in self._current_indexes(conn, table) - before.indexes:
            conn.execute(f"DROP INDEX IF EXISTS {q(self.schema)}.{q(index)}")
        current_columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                [self.schema, table],
            ).fetchall()
        }
        for column in current_columns - before.columns:
            conn.execute(f"ALTER TABLE {target} DROP COLUMN {q(column)}")
        access = _trigger_access(conn, self.schema, table)
        if access != before.trigger_access and before.trigger_access is not None:
            ddl.execute_all(conn, ddl.table_trigger_sql(self.schema, table, before.trigger_access))
        elif before.trigger_access is None and access is not None:
            for name in (f"hc_{table}_logtrigger", f"hc_{table}_status_trigger"):
                conn.execute(f"DROP TRIGGER IF EXISTS {q(name)} ON {target}")

    def _current_indexes(self, conn: psycopg.Connection, table: str) -> set[str]:
        return {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                [self.schema, table],
            ).fetchall()
        }


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
