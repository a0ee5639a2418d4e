"""Past write activity for demos: the archived trigger log of the last N days.

A freshly started demo has no history, so the dashboard's 7-day and 30-day charts would be flat.
:func:`backfill_history` writes what Heroku Connect would have archived over the last ``days``:
processed writes of the read-write mapped tables, most ``SUCCESS`` and a share ``FAILED`` with
the Salesforce messages of :mod:`heroku_connect.simulator.errors`, with a daily rhythm and a
couple of bad days. Rows point at real rows of the mapped tables (``record_id`` / ``sfid``), so
their detail pages work, and take their ids from ``_trigger_log``'s sequence, as archived rows
keep the ids they had in the log.

It writes only into ``_trigger_log_archive`` and only once: if the archive already holds rows
older than a day it does nothing, so restarting the demo keeps the history it has.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql

from heroku_connect.schema import CONNECT_SESSION_SQL, TRIGGER_LOG_ARCHIVE_TABLE, TRIGGER_LOG_TABLE
from heroku_connect.simulator import errors

__all__ = ("backfill_history",)

#: The required field and a restricted picklist of each example table (others: Name / none).
_TABLE_FIELDS = {
    "contact": ("LastName", "Last Name", None),
    "account": ("Name", "Account Name", ("Industry", "Spaceflight")),
    "project__c": ("Name", "Project Name", ("Status__c", "Abandoned")),
}


def _failure_message(rng: random.Random, table: str) -> str:
    """A Salesforce error text that fits ``table``; lock errors dominate, as in real orgs."""
    required, label, picklist = _TABLE_FIELDS.get(table, ("Name", "Name", None))
    makers: list[tuple[int, Callable[[], str]]] = [
        (6, lambda: str(errors.unable_to_lock_row([f"001{rng.randrange(10**11):011d}AAA"]))),
        (3, lambda: str(errors.required_fields_missing([required]))),
        (1, lambda: str(errors.string_too_long(label, "x" * 90, 80, required))),
        (1, lambda: str(errors.entity_is_deleted())),
        (1, lambda: str(errors.invalid_cross_reference())),
    ]
    if table == "contact":
        makers.append((2, lambda: str(errors.invalid_email("Email", "jane@", "Email"))))
    if picklist is not None:
        field, value = picklist
        makers.append((1, lambda: str(errors.restricted_picklist(field, value, field))))
    [(_, make)] = rng.choices(makers, weights=[weight for weight, _ in makers])
    return make()


def backfill_history(
    dsn: str,
    *,
    schema: str,
    tables: Sequence[str],
    days: int = 30,
    writes_per_day: int = 120,
    failure_share: float = 0.06,
    seed: int = 0,
    now: datetime.datetime | None = None,
) -> int:
    """Archive ``days`` of past writes for ``tables``; return the number of rows written (0 if the
    archive already has history or no table has rows)."""
    if days <= 0 or not tables:
        return 0
    rng = random.Random(seed)
    now = now or datetime.datetime.now(datetime.UTC)
    archive = sql.Identifier(schema, TRIGGER_LOG_ARCHIVE_TABLE)
    sequence = f"{schema}.{TRIGGER_LOG_TABLE}"
    with psycopg.connect(dsn, autocommit=False) as conn:
        conn.execute(CONNECT_SESSION_SQL)
        has_history = conn.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE created_at < %s)").format(archive),
            [now - datetime.timedelta(days=1)],
        ).fetchone()[0]
        if has_history:
            return 0
        targets = {
            table: conn.execute(
                sql.SQL("SELECT id, sfid FROM {} ORDER BY id LIMIT 200").format(
                    sql.Identifier(schema, table)
                )
            ).fetchall()
            for table in tables
        }
        targets = {table: rows for table, rows in targets.items() if rows}
        if not targets:
            return 0
        bad_days = set(rng.sample(range(1, days), k=min(2, days - 1)))
        rows = []
        for day in range(days, 0, -1):
            share = failure_share * (5 if day in bad_days else 1)
            for _ in range(writes_per_day):
                # Office hours are busier: a triangular spread around 14:00 UTC.
                hour = min(23.99, max(0.0, rng.triangular(0, 24, 14)))
                created = now - datetime.timedelta(days=day) + datetime.timedelta(hours=hour)
                if created >= now:
                    continue
                table = rng.choice(list(targets))
                record_id, sfid = rng.choice(targets[table])
                action = "UPDATE" if sfid and rng.random() < 0.7 else "INSERT"
                failed = rng.random() < share
                processed = created + datetime.timedelta(seconds=rng.uniform(2, 120))
                rows.append(
                    (
                        created,
                        processed,
                        processed,
                        "FAILED" if failed else "SUCCESS",
                        action,
                        table,
                        record_id,
                        sfid if action == "UPDATE" else None,
                        _failure_message(rng, table) if failed else None,
                    )
                )
        rows.sort(key=lambda row: row[0])  # ids follow created_at, as in a real archive
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL(
                    "INSERT INTO {} (id, created_at, updated_at, processed_at, state, action,"
                    " table_name, record_id, sfid, sf_message)"
                    " VALUES (nextval(pg_get_serial_sequence(%s, 'id')),"
                    " %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(archive),
                [(sequence, *row) for row in rows],
            )
        conn.commit()
    return len(rows)
