"""The demo's application activity: captured writes with a chosen share of bad data."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from heroku_connect.simulator.org import Org
from tests.heroku_connect.simulator.engine_helpers import (
    engine_database,
    engine_for,
    log_rows,
    make_state,
    query,
)

EXPECTED_CODES = {
    "REQUIRED_FIELD_MISSING",
    "INVALID_EMAIL_ADDRESS",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "INVALID_CROSS_REFERENCE_KEY",
    "INACTIVE_OWNER_OR_USER",
    "NUMBER_OUTSIDE_VALID_RANGE",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "ENTITY_IS_DELETED",
}


@pytest.fixture
def dsn(transactional_db: None) -> Iterator[str]:
    with engine_database() as url:
        yield url


def _run(engine, rounds: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _ in range(rounds):
        for kind, n in engine.activity_cycle().items():
            totals[kind] = totals.get(kind, 0) + n
        for state, n in engine.write_cycle().items():
            totals[state] = totals.get(state, 0) + n
    return totals


def test_activity__good_writes_are_captured_and_all_succeed(dsn):
    """Without bad data every captured application write reaches Salesforce."""
    org = Org(0, records_per_object=10)
    with engine_for(dsn, org=org, state=make_state(org), failure_rate=0.0) as engine:
        totals = _run(engine, 6)
    assert totals["insert"] > 0
    assert totals.get("update", 0) > 0
    assert "bad" not in totals
    assert totals.get("FAILED", 0) == 0
    states = {r["state"] for r in log_rows(dsn)}
    assert states <= {"SUCCESS", "IGNORED"}
    assert query(dsn, "SELECT count(*) AS n FROM salesforce.contact WHERE sfid IS NULL") == [
        {"n": 0}
    ]


def test_activity__bad_writes_fail_with_realistic_salesforce_errors(dsn):
    """With failure_rate 1 the writes fail, each with one of the catalogued errors."""
    org = Org(0, records_per_object=10)
    with engine_for(dsn, org=org, state=make_state(org), failure_rate=0.0) as engine:
        _run(engine, 2)  # some synced rows to update
        engine.activity.failure_rate = 1.0
        before = {r["id"] for r in log_rows(dsn)}
        totals = _run(engine, 6)
    failed = [r for r in log_rows(dsn) if r["id"] not in before and r["state"] == "FAILED"]
    assert totals["bad"] > 0
    assert len(failed) == totals["FAILED"]
    assert totals["FAILED"] >= totals["bad"] - totals.get("delete", 0)
    codes = set()
    for log in failed:
        table = log["table_name"]
        [saved] = query(
            dsn, f"SELECT _hc_err FROM salesforce.{table} WHERE id = %s", [log["record_id"]]
        ) or [{"_hc_err": None}]
        if saved["_hc_err"]:
            codes.add(json.loads(saved["_hc_err"])["code"])
    assert codes <= EXPECTED_CODES
    assert len(codes) >= 3


def test_activity__keeps_writing_while_paused_and_nothing_is_sent(dsn):
    org = Org(0, records_per_object=10)
    state = make_state(org)
    state.pause()
    with engine_for(dsn, org=org, state=state, failure_rate=0.0) as engine:
        totals = _run(engine, 3)
    assert totals.get("insert", 0) > 0
    assert {r["state"] for r in log_rows(dsn)} == {"NEW"}
