"""Past write activity for demos (``heroku_connect.simulator.history``)."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection

from app.dashboard.errors import classify
from heroku_connect.mapping import get_mapping
from heroku_connect.simulator.history import backfill_history
from heroku_connect.test.simulator import dsn_from_settings_dict

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def _archive(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT id, state, action, table_name, record_id, sfid, created_at, sf_message "
            "FROM salesforce._trigger_log_archive ORDER BY id"
        ).fetchall()


@pytest.mark.simulator(initial_mapping=get_mapping())
def test_backfill_history__archives_past_writes_of_real_rows_once(simulator):
    """Rows span the past days, point at real records, fail with known messages; once only."""
    simulator.wait_idle()
    dsn = dsn_from_settings_dict(connection.settings_dict)
    written = backfill_history(
        dsn, schema="salesforce", tables=["contact", "account"], days=3, writes_per_day=40, now=NOW
    )
    rows = _archive(dsn)
    assert written == len(rows) > 100
    assert {r[1] for r in rows} == {"SUCCESS", "FAILED"}
    assert {r[2] for r in rows} <= {"INSERT", "UPDATE"}
    assert {r[3] for r in rows} == {"contact", "account"}
    assert all(NOW - datetime.timedelta(days=3) <= r[6] < NOW for r in rows)
    with psycopg.connect(dsn) as conn:
        contact_ids = {i for (i,) in conn.execute("SELECT id FROM salesforce.contact")}
        next_live_id = conn.execute(
            "INSERT INTO salesforce._trigger_log (state, action, table_name, record_id) "
            "VALUES ('IGNORE', 'UPDATE', 'contact', 1) RETURNING id"
        ).fetchone()[0]
    assert {r[4] for r in rows if r[3] == "contact"} <= contact_ids
    assert next_live_id > max(r[0] for r in rows)  # ids come from the trigger log's sequence
    assert [r[6] for r in rows] == sorted(r[6] for r in rows)  # ids follow created_at
    failures = [r[7] for r in rows if r[1] == "FAILED"]
    assert failures
    assert all(classify(message).code != "UNKNOWN" for message in failures)
    required = {r[3]: r[7] for r in rows if r[7] and r[7].startswith("Required fields")}
    assert required.get("contact", "[LastName]").endswith("[LastName]")
    assert required.get("account", "[Name]").endswith("[Name]")

    again = backfill_history(dsn, schema="salesforce", tables=["contact"], days=3, now=NOW)
    assert again == 0
    assert len(_archive(dsn)) == len(rows)


def test_backfill_history__nothing_to_do_without_days_or_tables():
    """Zero days or no tables write nothing (and need no database)."""
    assert backfill_history("postgresql:///unused", schema="s", tables=[], days=30) == 0
    assert backfill_history("postgresql:///unused", schema="s", tables=["t"], days=0) == 0
