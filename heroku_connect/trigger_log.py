"""Every trigger-log state transition, as set-based SQL in one transaction each.

This module is the only place that changes trigger-log states or calls Heroku Connect's capture
functions (``hc_capture_insert_from_row`` / ``hc_capture_update_from_row``):

* :func:`retry_failed` re-applies FAILED rows (live or archived) for either write algorithm;
* :func:`ignore_failed` dismisses FAILED rows (``IGNORED``);
* :func:`capture_insert` / :func:`capture_update` re-capture one record as a new ``NEW`` row;
* :func:`redo` is the one-row form of :func:`retry_failed` behind ``TriggerLog.redo()``.

Each transition runs a constant number of statements whatever the selection size. Rows are
locked in id order and the ``state = 'FAILED'`` guard is re-checked under the lock, so two
operators retrying the same selection at once requeue each row exactly once (the second one
finds nothing left to do). The write algorithm, which comes from the Heroku Connect API, is looked
up before the transaction starts, never while rows are locked.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models import QuerySet

from heroku_connect.schema import quote_ident
from heroku_connect.states import WriteAlgorithm
from heroku_connect.trigger_log_states import RECAPTURABLE_ACTIONS, TriggerLogState

if TYPE_CHECKING:  # for annotations only: the models import this module
    from heroku_connect.models import TriggerLog, TriggerLogAbstract

__all__ = (
    "TriggerLogStateError",
    "capture_insert",
    "capture_update",
    "ignore_failed",
    "redo",
    "render_composed",
    "retry_failed",
)

# State names as they appear in the SQL below.
FAILED = TriggerLogState.FAILED.value
NEW = TriggerLogState.NEW.value
IGNORED = TriggerLogState.IGNORED.value
REQUEUED = TriggerLogState.REQUEUED.value
_RECAPTURABLE_SQL = "(" + ", ".join(f"'{action}'" for action in RECAPTURABLE_ACTIONS) + ")"

# Heroku Connect's hc_capture_update_from_row treats an empty array as "every column". The
# public package passed ARRAY['{}'] for "no column" (a name no column has); so do we.
_NO_COLUMNS_SENTINEL = "{}"


class TriggerLogStateError(ValueError):
    """The trigger-log row is not in a state that allows the requested transition."""


# --- Public services ----------------------------------------------------------------------


def retry_failed(queryset: QuerySet, *, write_algorithm: WriteAlgorithm | None = None) -> int:
    """Re-apply the FAILED rows of ``queryset`` and return how many were requeued.

    ``queryset`` selects ``TriggerLog`` (live) or ``TriggerLogArchive`` rows; rows in any other
    state are left alone.

    * live, merged writes: FAILED -> NEW (``updated_at`` = now);
    * live, ordered writes: INSERT/UPDATE rows are re-captured from the current record with
      ``hc_capture_*`` (in trigger-log order) and the old rows become REQUEUED; DELETE rows,
      which cannot be re-captured, go back to NEW;
    * archived: the change is copied back to ``_trigger_log`` as NEW (re-captured instead under
      ordered writes, except DELETEs) and the archive row becomes REQUEUED.

    Under ordered writes a row whose record no longer exists stays FAILED (not counted); a
    mapped table missing from the schema raises ``LookupError`` before anything changes.
    ``write_algorithm=None`` looks it up (cached) through
    ``heroku_connect.api.get_unique_connection_write_mode()`` before the transaction starts,
    and only when the selection holds a FAILED row; its errors (``ValueError`` for missing or
    mixed modes, API errors) propagate unchanged.
    """
    return _requeue(queryset, write_algorithm=write_algorithm).count


def ignore_failed(queryset: QuerySet) -> int:
    """Mark the FAILED rows of ``queryset`` (live or archived) IGNORED; return their number."""
    model = _trigger_log_model(queryset)
    alias = _write_alias(queryset)
    connection = connections[alias]
    try:
        selection, params = _selection_sql(queryset, connection)
    except EmptyResultSet:
        return 0
    source = connection.ops.quote_name(model._meta.db_table)
    sql = f"""
        WITH locked AS (
            SELECT l.id FROM {source} l
            WHERE l.id IN ({selection}) AND l.state = %s
            ORDER BY l.id
            FOR UPDATE OF l
        )
        UPDATE {source} t SET state = %s, updated_at = now()
        FROM locked WHERE t.id = locked.id AND t.state = %s
    """
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, [*params, FAILED, IGNORED, FAILED])
        return cursor.rowcount


def redo(log: TriggerLogAbstract, *, write_algorithm: WriteAlgorithm | None = None) -> TriggerLog:
    """Re-apply one row, whatever its state (as the public package's ``redo()`` does); return
    the live row that represents the re-application.

    It works like :func:`retry_failed` on that row: that is ``log`` itself (now NEW) for a live
    row under merged writes or a DELETE, otherwise the new ``_trigger_log`` row; ``log.state``
    is refreshed. Bulk retries use :func:`retry_failed`, which only touches FAILED rows. Raises
    :class:`TriggerLogStateError` when the row no longer exists and ``TriggerLog.DoesNotExist``
    when its record no longer exists (nothing is changed in either case).
    """
    live_model = _live_model()
    model = type(log)
    queryset = model._default_manager.filter(pk=log.pk)
    result = _requeue(
        queryset,
        write_algorithm=write_algorithm,
        want_ids=True,
        from_states=TriggerLogState.values,
    )
    alias = _write_alias(queryset)
    if not result.count:
        if queryset.using(alias).exists():
            raise live_model.DoesNotExist(
                f"TriggerLog was not created after re-capturing {log.action}"
            )
        raise TriggerLogStateError(f"Trigger log #{log.pk} no longer exists.")
    log.refresh_from_db(using=alias, fields=["state", "updated_at"])
    (new_id,) = result.ids
    if isinstance(log, live_model) and new_id == log.pk:
        return log
    return live_model._default_manager.using(alias).get(pk=new_id)


def capture_insert(
    table_name: str,
    record_id: int,
    *,
    exclude_columns: Iterable[str] = (),
    using: str | None = None,
) -> list[TriggerLog]:
    """Capture record ``record_id`` of ``table_name`` as a new INSERT row (state NEW).

    ``exclude_columns`` are left out of ``values`` (``id`` and ``sfid`` never are). Returns
    the new ``TriggerLog`` rows (one). Raises ``LookupError`` when the table does not exist and
    ``TriggerLog.DoesNotExist`` when the record does not.
    """
    return _capture(
        "INSERT",
        "hc_capture_insert_from_row",
        table_name,
        record_id,
        sorted(set(exclude_columns)),
        using,
    )


def capture_update(
    table_name: str,
    record_id: int,
    *,
    include_columns: Iterable[str] = (),
    using: str | None = None,
) -> list[TriggerLog]:
    """Capture record ``record_id`` of ``table_name`` as a new UPDATE row (state NEW).

    ``values`` holds only ``include_columns``; with none it is empty. Errors as in
    :func:`capture_insert`.
    """
    columns = sorted(set(include_columns)) or [_NO_COLUMNS_SENTINEL]
    return _capture("UPDATE", "hc_capture_update_from_row", table_name, record_id, columns, using)


# --- Implementation -----------------------------------------------------------------------


@dataclass
class _RequeueResult:
    count: int
    ids: list[int] = field(default_factory=list)


def _live_model() -> type[TriggerLog]:
    """``TriggerLog``, from the app registry (this module cannot import the models: they
    import it)."""
    return apps.get_model("heroku_connect", "TriggerLog")


def _trigger_log_model(queryset: QuerySet) -> type[TriggerLogAbstract]:
    models = (_live_model(), apps.get_model("heroku_connect", "TriggerLogArchive"))
    if not isinstance(queryset, QuerySet) or not issubclass(queryset.model, models):
        raise TypeError("Expected a queryset of TriggerLog or TriggerLogArchive rows.")
    return queryset.model


def _write_alias(queryset: QuerySet) -> str:
    return queryset._db or router.db_for_write(queryset.model) or "default"


def _selection_sql(queryset: QuerySet, connection: Any) -> tuple[str, tuple]:
    """The queryset as ``SELECT <pk> …`` SQL, usable inside ``IN (…)``."""
    if not queryset.query.is_sliced:
        queryset = queryset.order_by()
    ids = queryset.values_list("pk", flat=True)
    sql, params = ids.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _schema_of(model: type[TriggerLogAbstract]) -> str:
    db_table = model._meta.db_table
    if '"."' in db_table:
        return db_table.split('"."', 1)[0].strip('"')
    from heroku_connect.conf import settings

    return settings.HEROKU_CONNECT_SCHEMA


def _lookup_write_algorithm() -> WriteAlgorithm:
    # Imported lazily: the HTTP client is optional for callers that pass write_algorithm.
    from heroku_connect.api import get_unique_connection_write_mode

    return get_unique_connection_write_mode()


def _requeue(
    queryset: QuerySet,
    *,
    write_algorithm: WriteAlgorithm | None,
    want_ids: bool = False,
    from_states: Sequence[str] = (FAILED,),
) -> _RequeueResult:
    model = _trigger_log_model(queryset)
    if write_algorithm is None:
        # Like the public package, ask the API only when a row can be re-applied at all.
        candidates = queryset.model._default_manager.using(_write_alias(queryset)).filter(
            pk__in=queryset.values("pk"), state__in=list(from_states)
        )
        if not candidates.exists():
            return _RequeueResult(0)
        write_algorithm = _lookup_write_algorithm()  # before any lock is taken
    if not isinstance(write_algorithm, WriteAlgorithm):
        raise TypeError(f"write_algorithm must be a WriteAlgorithm, not {write_algorithm!r}")
    live_model = _live_model()
    alias = _write_alias(queryset)
    connection = connections[alias]
    try:
        selection, params = _selection_sql(queryset, connection)
    except EmptyResultSet:
        return _RequeueResult(0)
    ordered = write_algorithm is WriteAlgorithm.ORDERED_WRITES
    schema = _schema_of(live_model)
    source = connection.ops.quote_name(model._meta.db_table)
    live = connection.ops.quote_name(live_model._meta.db_table)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        tables: list[str] = []
        if ordered:
            tables = _recapture_tables(cursor, source, schema, selection, params, from_states)
        sql, sql_params = _requeue_sql(
            source=source,
            live=live,
            schema=schema,
            archived=model.is_archived,
            selection=selection,
            selection_params=params,
            tables=tables,
            ordered=ordered,
            from_states=from_states,
        )
        cursor.execute(sql, sql_params)
        count, ids = cursor.fetchone()
    result = _RequeueResult(count)
    if want_ids:
        result.ids = sorted(ids or [])
    return result


def _recapture_tables(
    cursor: Any, source: str, schema: str, selection: str, params: tuple, from_states: Sequence[str]
) -> list[str]:
    """Distinct mapped tables of the selected INSERT/UPDATE rows (``LookupError`` if missing)."""
    cursor.execute(
        f"""
        SELECT DISTINCT l.table_name,
               to_regclass(quote_ident(%s) || '.' || quote_ident(l.table_name)) IS NOT NULL
        FROM {source} l
        WHERE l.id IN ({selection}) AND l.state = ANY(%s) AND l.action IN {_RECAPTURABLE_SQL}
        ORDER BY l.table_name
        """,
        [schema, *params, list(from_states)],
    )
    rows = cursor.fetchall()
    missing = [name for name, exists in rows if not exists]
    if missing:
        raise LookupError(
            f"Cannot re-capture: no table {', '.join(sorted(missing))} in schema {schema!r}."
        )
    return [name for name, _exists in rows]


def _requeue_sql(
    *,
    source: str,
    live: str,
    schema: str,
    archived: bool,
    selection: str,
    selection_params: tuple,
    tables: list[str],
    ordered: bool,
    from_states: Sequence[str],
) -> tuple[str, list[Any]]:
    """One statement: lock the rows still in ``from_states``, re-capture or copy them, mark
    them, count them."""
    s = quote_ident(schema)
    params: list[Any] = [*selection_params, list(from_states)]
    ctes = [
        f"""locked AS MATERIALIZED (
            SELECT l.id, l.action, l.table_name, l.record_id, l.sfid, l.txid, l.created_at,
                   l."values", l.old
            FROM {source} l
            WHERE l.id IN ({selection}) AND l.state = ANY(%s)
            ORDER BY l.id
            FOR UPDATE OF l
        )"""
    ]
    if ordered and tables:
        branches = []
        for table in tables:
            branches.append(
                f"SELECT hstore(m.*) AS source_row FROM {s}.{quote_ident(table)} m "
                f"WHERE l.table_name = %s AND m.id = l.record_id"
            )
            params.append(table)
        ctes.append(
            f"""source_rows AS MATERIALIZED (
                SELECT l.id AS log_id, l.action, l.table_name, l."values", r.source_row
                FROM locked l
                CROSS JOIN LATERAL ({" UNION ALL ".join(branches)}) r
                WHERE l.action IN {_RECAPTURABLE_SQL}
                ORDER BY l.id
            )"""
        )
        # Re-captured in trigger-log order, so ordered writes keep their order.
        ctes.append(
            f"""recaptured AS MATERIALIZED (
                SELECT r.log_id,
                       CASE r.action
                       WHEN 'INSERT' THEN {s}.hc_capture_insert_from_row(
                           r.source_row, r.table_name::varchar, ARRAY[]::text[])
                       ELSE {s}.hc_capture_update_from_row(
                           r.source_row, r.table_name::varchar,
                           COALESCE(NULLIF(akeys(COALESCE(r."values", '')::hstore), '{{}}'),
                                    ARRAY[%s]::text[]))
                       END AS new_id
                FROM source_rows r
                ORDER BY r.log_id
            )"""
        )
        params.append(_NO_COLUMNS_SENTINEL)
    else:
        ctes.append("recaptured AS (SELECT NULL::bigint AS log_id, NULL::bigint AS new_id LIMIT 0)")
    # Rows that are not re-captured: everything under merged writes, DELETEs under ordered.
    not_recaptured = f"l.action NOT IN {_RECAPTURABLE_SQL}" if ordered else "TRUE"
    if archived:
        ctes.append(
            f"""copied AS (
                INSERT INTO {live} (txid, created_at, updated_at, state, action, table_name,
                                    record_id, sfid, "values", old)
                SELECT l.txid, l.created_at, now(), '{NEW}', l.action, l.table_name,
                       l.record_id, l.sfid, l."values", l.old
                FROM locked l
                WHERE {not_recaptured}
                ORDER BY l.id
                RETURNING id
            )"""
        )
        ctes.append(
            f"""handled AS (
                SELECT log_id AS id, '{REQUEUED}' AS new_state FROM recaptured
                WHERE new_id IS NOT NULL
                UNION ALL
                SELECT l.id, '{REQUEUED}' FROM locked l WHERE {not_recaptured}
            )"""
        )
        representing = (
            "SELECT new_id FROM recaptured WHERE new_id IS NOT NULL UNION ALL SELECT id FROM copied"
        )
    else:
        ctes.append(
            f"""handled AS (
                SELECT log_id AS id, '{REQUEUED}' AS new_state FROM recaptured
                WHERE new_id IS NOT NULL
                UNION ALL
                SELECT l.id, '{NEW}' FROM locked l WHERE {not_recaptured}
            )"""
        )
        representing = (
            "SELECT new_id FROM recaptured WHERE new_id IS NOT NULL "
            f"UNION ALL SELECT id FROM marked WHERE state = '{NEW}'"
        )
    ctes.append(
        f"""marked AS (
            UPDATE {source} t SET state = h.new_state, updated_at = now()
            FROM handled h WHERE t.id = h.id
            RETURNING t.id, t.state
        )"""
    )
    sql = (
        "WITH " + ",\n".join(ctes) + "\n"
        f"SELECT (SELECT count(*) FROM marked), ARRAY({representing})"
    )
    return sql, params


def _capture(
    action: str,
    function: str,
    table_name: str,
    record_id: int,
    columns: list[str],
    using: str | None,
) -> list[TriggerLog]:
    live_model = _live_model()
    alias = using or router.db_for_write(live_model) or "default"
    connection = connections[alias]
    schema = _schema_of(live_model)
    table = f"{quote_ident(schema)}.{quote_ident(table_name)}"
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        if not cursor.fetchone()[0]:
            raise LookupError(f"No table {table_name!r} in schema {schema!r}.")
        cursor.execute(
            f"SELECT {quote_ident(schema)}.{function}(hstore(m.*), %s::varchar, %s::text[]) "
            f"FROM {table} m WHERE m.id = %s",
            [table_name, columns, record_id],
        )
        ids = [row[0] for row in cursor.fetchall() if row[0] is not None]
    if not ids:
        raise live_model.DoesNotExist(f"TriggerLog was not created after re-capturing {action}")
    return list(live_model._default_manager.using(alias).filter(pk__in=ids).order_by("id"))


# --- Rendering psycopg2 / psycopg 3 sql.Composable objects ----------------------------------


def render_composed(composable: Any, *, standard_conforming_strings: bool = True) -> str:
    """Render a psycopg2 or psycopg 3 ``sql.Composable`` to SQL text, without a driver.

    Identifiers are double-quoted, literals quoted like psycopg2 quotes them on a connection
    (``standard_conforming_strings`` decides between ``'…'`` and ``E'…'``), placeholders kept
    as ``%s`` / ``%(name)s``. Raises ``TypeError`` for other objects or unsupported literals.
    """
    kind = _composable_kind(composable)
    if kind == "Composed":
        parts = composable.seq if hasattr(composable, "seq") else composable._obj
        return "".join(
            render_composed(part, standard_conforming_strings=standard_conforming_strings)
            for part in parts
        )
    if kind == "SQL":
        return composable.string if hasattr(composable, "string") else composable._obj
    if kind == "Identifier":
        strings = composable.strings if hasattr(composable, "strings") else composable._obj
        return ".".join(quote_ident(name) for name in strings)
    if kind == "Placeholder":
        if hasattr(composable, "_format"):  # psycopg 3
            name, fmt = composable._obj, composable._format.value
        else:
            name, fmt = composable.name, "s"
        return f"%({name}){fmt}" if name else f"%{fmt}"
    value = composable.wrapped if hasattr(composable, "wrapped") else composable._obj
    return render_literal(value, standard_conforming_strings=standard_conforming_strings)


def _composable_kind(obj: Any) -> str:
    for klass in type(obj).__mro__:
        if klass.__module__ in ("psycopg2.sql", "psycopg.sql") and klass.__name__ in (
            "Composed",
            "SQL",
            "Identifier",
            "Placeholder",
            "Literal",
        ):
            return klass.__name__
    raise TypeError(f"Expected a psycopg2 or psycopg sql.Composable, not {type(obj).__name__}")


def render_literal(value: Any, *, standard_conforming_strings: bool = True) -> str:
    """``value`` as an SQL literal, exactly as psycopg2's ``sql.Literal`` renders it."""

    def quoted(text: str) -> str:
        if "\x00" in text:
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        text = text.replace("'", "''")
        if standard_conforming_strings:
            return f"'{text}'"
        return "E'" + text.replace("\\", "\\\\") + "'"

    def signed(text: str) -> str:
        # psycopg2 puts a space before a minus sign so "-" never follows another "-".
        return f" {text}" if text.startswith("-") else text

    def render(item: Any) -> str:
        if item is None:
            return "NULL"
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return signed(str(item))
        if isinstance(item, float):
            if math.isnan(item):
                return "'NaN'::float"
            if math.isinf(item):
                return "'Infinity'::float" if item > 0 else "'-Infinity'::float"
            return signed(repr(item))
        if isinstance(item, decimal.Decimal):
            return signed(str(item)) if item.is_finite() else "'NaN'::numeric"
        if isinstance(item, str):
            return quoted(item)
        if isinstance(item, (bytes, bytearray, memoryview)):
            return quoted("\\x" + bytes(item).hex()) + "::bytea"
        if isinstance(item, datetime.datetime):
            cast = "timestamptz" if item.tzinfo is not None else "timestamp"
            return f"{quoted(item.isoformat())}::{cast}"
        if isinstance(item, datetime.date):
            return f"{quoted(item.isoformat())}::date"
        if isinstance(item, datetime.time):
            cast = "timetz" if item.tzinfo is not None else "time"
            return f"{quoted(item.isoformat())}::{cast}"
        if isinstance(item, datetime.timedelta):
            text = f"{item.days} days {item.seconds}.{item.microseconds:06d} seconds"
            return f"{quoted(text)}::interval"
        if isinstance(item, list):
            if not item:
                return "'{}'"
            return "ARRAY[" + ",".join(render(element) for element in item) + "]"
        if isinstance(item, tuple):
            return "(" + ", ".join(render(element) for element in item) + ")"
        raise TypeError(f"can't adapt type {type(item).__name__!r}")

    return render(value)
