"""Heroku Connect's development schema for single tests.

A test database has, by default, the tables only (as with the public django-heroku-connect
package): creating records writes no trigger-log rows, and there are no ``hc_capture_*``
functions. A test that needs what real Heroku Connect has (capture triggers, the capture
functions used to retry under ordered writes, ``_hcmeta``) wraps itself in
:func:`development_schema`::

    from heroku_connect.test.schema import development_schema

    @development_schema()
    def test_saving_a_contact_is_captured(db): ...

    def test_retry_under_ordered_writes(db):
        with development_schema():
            ...

or uses the pytest fixture ``heroku_connect_development_schema`` (add
``pytest_plugins = ["heroku_connect.test.fixtures"]`` to the root ``conftest.py``). For a whole
test run set ``HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA = True`` in the test settings instead; the
helper then changes nothing.

Inside the block the schema is exactly what ``create_development_schema`` builds, holding a copy
of the rows the tables had (copied without firing the capture triggers). At
the end the development schema is dropped and the tables as they were before the block come
back: changes made to Heroku Connect tables inside the block are discarded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from heroku_connect import schema as ddl
from heroku_connect.conf import settings
from heroku_connect.dev_schema import create_heroku_connect_schema, schema_exists

__all__ = ("development_schema",)


@contextmanager
def development_schema(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Swap the test database's Heroku Connect schema for the development schema.

    Works in transactional and non-transactional tests, as a context manager or a decorator.
    Nothing changes if the schema already is the development schema.
    """
    connection = connections[using]
    schema_name = settings.HEROKU_CONNECT_SCHEMA
    with connection.cursor() as cursor:
        if _is_development_schema(cursor, schema_name):
            yield
            return
        aside = f"{schema_name[:40]}_tables_{uuid.uuid4().hex[:12]}"
        had_schema = schema_exists(schema_name, using=using)
        cursor.execute("SELECT to_regprocedure('public.get_xmlbinary()') IS NOT NULL")
        had_xmlbinary = cursor.fetchone()[0]
        if had_schema:
            cursor.execute(
                f"ALTER SCHEMA {ddl.quote_ident(schema_name)} RENAME TO {ddl.quote_ident(aside)}"
            )
    try:
        create_heroku_connect_schema(using=using, development=True)
        if had_schema:
            with connection.cursor() as cursor:
                _copy_rows(cursor, aside, schema_name)
        yield
    finally:
        _restore(connection, schema_name, aside if had_schema else None, had_xmlbinary)


def _is_development_schema(cursor: Any, schema_name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [ddl.qualified(schema_name, "_hcmeta")])
    return cursor.fetchone()[0]


def _copy_rows(cursor: Any, source: str, target: str) -> None:
    """Copy every row of ``source``'s tables into ``target``'s tables of the same name.

    Only the columns both tables have are copied, with the target's triggers disabled (nothing
    is captured, ``_hc_lastop`` is kept); the ``id`` sequences then continue after the copied ids.
    """
    cursor.execute(
        """
        SELECT s.table_name, array_agg(quote_ident(s.column_name) ORDER BY s.ordinal_position)
        FROM information_schema.columns s
        JOIN information_schema.columns t
          ON t.table_schema = %s AND t.table_name = s.table_name
         AND t.column_name = s.column_name
        WHERE s.table_schema = %s
        GROUP BY s.table_name
        ORDER BY s.table_name
        """,
        [target, source],
    )
    for table, columns in cursor.fetchall():
        names = ", ".join(columns)
        target_table = ddl.qualified(target, table)
        cursor.execute(f"ALTER TABLE {target_table} DISABLE TRIGGER USER")
        cursor.execute(
            f"INSERT INTO {target_table} ({names}) "
            f"SELECT {names} FROM {ddl.qualified(source, table)}"
        )
        cursor.execute(f"ALTER TABLE {target_table} ENABLE TRIGGER USER")
        cursor.execute(
            "SELECT setval(sequence, greatest(max_id, 1), max_id IS NOT NULL) "
            "FROM (SELECT pg_get_serial_sequence(%s, 'id') AS sequence) s, "
            f"(SELECT max(id) AS max_id FROM {target_table}) m "
            "WHERE sequence IS NOT NULL",
            [target_table],
        )


def _restore(connection: Any, schema_name: str, aside: str | None, had_xmlbinary: bool) -> None:
    q = ddl.quote_ident
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {q(schema_name)} CASCADE")
            if aside is not None:
                cursor.execute(f"ALTER SCHEMA {q(aside)} RENAME TO {q(schema_name)}")
            if not had_xmlbinary:
                cursor.execute("DROP FUNCTION IF EXISTS public.get_xmlbinary()")
    except DatabaseError:
        # A failed statement aborted the test's transaction; rolling it back (as the test
        # framework does next) undoes the swap as well. Outside a transaction, say so.
        if not connection.in_atomic_block:
            raise
