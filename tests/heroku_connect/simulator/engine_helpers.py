"""Helpers for the sync-engine tests: an engine on the test database's example tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection
from psycopg.rows import dict_row

from app.salesforce.models import Account, Contact, Project, RecordType, User
from heroku_connect.schema import CONNECT_SESSION_SQL
from heroku_connect.simulator.engine import SyncEngine
from heroku_connect.simulator.org import Org
from heroku_connect.simulator.state import MappingConfig, MappingState, SimulatorState
from heroku_connect.test.simulator import dsn_from_settings_dict

SCHEMA = "salesforce"
MODELS = (User, RecordType, Account, Contact, Project)
TABLES = ("user", "recordtype", "account", "contact", "project__c", "_trigger_log",
          "_trigger_log_archive")  # fmt: skip


@contextmanager
def engine_database() -> Iterator[str]:
    """The test database's DSN, its example tables emptied before and after.

    Use it under ``transactional_db``: the engine writes through its own connections, so the
    test's own writes must be committed to be seen.
    """
    dsn = dsn_from_settings_dict(connection.settings_dict)
    if not connection.settings_dict["NAME"].startswith("test_"):
        raise RuntimeError("refusing to empty tables outside a test database")
    truncate_all(dsn)
    try:
        yield dsn
    finally:
        truncate_all(dsn)


def truncate_all(dsn: str) -> None:
    """Empty the example tables and both trigger-log tables (TRUNCATE is never captured)."""
    names = ", ".join(f'{SCHEMA}."{t}"' for t in TABLES)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {names} RESTART IDENTITY")


def make_state(org: Org, *, ordered: bool = True) -> SimulatorState:
    """A state with the example models mapped and synced (as after an import)."""
    state = SimulatorState(
        app_name="hcop-test", organization_id=org.organization_id, ordered_writes=ordered
    )
    for model in MODELS:
        mapping = model.get_heroku_connect_mapping()
        added = state.add_mapping(mapping["object_name"], MappingConfig(**mapping["config"]))
        state.set_mapping_state(added.id, MappingState.DATA_SYNCED)
    return state


@contextmanager
def engine_for(
    dsn: str, *, org: Org | None = None, state: SimulatorState | None = None, **kwargs: Any
) -> Iterator[SyncEngine]:
    org = org or Org(0, records_per_object=10)
    state = state or make_state(org, ordered=kwargs.pop("ordered", True))
    kwargs.setdefault("schema", SCHEMA)
    engine = SyncEngine(dsn, org=org, state=state, **kwargs)
    try:
        yield engine
    finally:
        engine.stop()


def query(
    dsn: str, statement: str, params: Any = None, *, as_connect: bool = False
) -> list[dict[str, Any]]:
    """Run one statement; ``as_connect`` runs it as Heroku Connect (not captured)."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor(row_factory=dict_row) as cur:
        if as_connect:
            cur.execute(CONNECT_SESSION_SQL)
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def log_rows(dsn: str, table: str = "_trigger_log") -> list[dict[str, Any]]:
    return query(dsn, f'SELECT * FROM {SCHEMA}."{table}" ORDER BY id')


def row(dsn: str, table: str, record_id: int) -> dict[str, Any]:
    found = query(dsn, f'SELECT * FROM {SCHEMA}."{table}" WHERE id = %s', [record_id])
    assert found, f"no row {record_id} in {table}"
    return found[0]


def hc_err(value: str | None) -> dict[str, Any]:
    assert value, "no _hc_err"
    return json.loads(value)
