"""The write loop never loses or repeats a write: crashes mid-batch, restarts, two engines."""

from __future__ import annotations

import threading
from collections import Counter
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


@pytest.fixture
def dsn(transactional_db: None) -> Iterator[str]:
    with engine_database() as url:
        yield url


class Crash(Exception):
    """Stands for the process dying in the middle of a batch."""


def _insert_contacts(dsn: str, count: int) -> None:
    """Application inserts (captured) without External IDs: a repeated write would duplicate."""
    query(
        dsn,
        "INSERT INTO salesforce.contact (lastname) SELECT 'Contact ' || n "
        "FROM generate_series(1, %s) AS n",
        [count],
    )


def _crash_after(engine, writes: int) -> None:
    """Make ``engine`` die after ``writes`` successful org writes (inside the next one)."""
    real = engine._write_to_org
    done = []

    def write(*args, **kwargs):
        if len(done) == writes:
            raise Crash
        done.append(1)
        return real(*args, **kwargs)

    engine._write_to_org = write


def _lease_count(dsn: str, token: int) -> int:
    from heroku_connect.simulator.engine import ADVISORY_NAMESPACE

    [found] = query(
        dsn,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2",
        [ADVISORY_NAMESPACE, token],
    )
    return found["n"]


def _wait_until_released(dsn: str, token: int) -> None:
    """The server ends a closed session (and frees its locks) asynchronously: wait for it."""
    import time

    deadline = time.monotonic() + 5
    while _lease_count(dsn, token) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _lease_count(dsn, token) == 0


def _created_per_name(org: Org, before: set[str]) -> Counter[str]:
    return Counter(r["LastName"] for r in org.records("Contact") if r["Id"] not in before)


def test_crash_mid_batch__pending_rows_are_reclaimed_after_the_engine_is_gone(dsn):
    """Rows written before the crash stay SUCCESS; the rest are PENDING until another engine
    (after the crashed one's lease ended) writes them, each exactly once."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    seeded = {r["Id"] for r in org.records("Contact")}
    _insert_contacts(dsn, 6)
    with (
        engine_for(dsn, org=org, state=state) as first,
        engine_for(dsn, org=org, state=state) as second,
    ):
        _crash_after(first, 2)
        with pytest.raises(Crash):
            first.write_cycle()
        assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 2 + ["PENDING"] * 4
        assert {r["processed_tx"] for r in log_rows(dsn)[2:]} == {first.token}
        assert second.write_cycle() == {}  # the first engine is alive: hands off
        first.close()  # its connections (and the lease) are gone, as after a crash
        _wait_until_released(dsn, first.token)
        assert second.write_cycle() == {"SUCCESS": 4}
    assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 6
    assert _created_per_name(org, seeded) == {f"Contact {n}": 1 for n in range(1, 7)}
    assert query(dsn, "SELECT count(*) AS n FROM salesforce.contact WHERE sfid IS NULL") == [
        {"n": 0}
    ]


def test_crash_mid_batch__the_restarted_engine_continues(dsn):
    """The same engine's next pass picks up its own PENDING rows (a restarted loop)."""
    org = Org(0, records_per_object=10)
    seeded = {r["Id"] for r in org.records("Contact")}
    _insert_contacts(dsn, 5)
    with engine_for(dsn, org=org) as engine:
        _crash_after(engine, 3)
        with pytest.raises(Crash):
            engine.write_cycle()
        del engine._write_to_org  # back to the real method
        assert engine.write_cycle() == {"SUCCESS": 2}
    assert _created_per_name(org, seeded) == {f"Contact {n}": 1 for n in range(1, 6)}


def test_crash_inside_a_write__the_org_change_is_undone(dsn):
    """A failure after the org accepted a write but before the commit undoes the org change."""
    org = Org(0, records_per_object=10)
    seeded = {r["Id"] for r in org.records("Contact")}
    _insert_contacts(dsn, 1)
    with engine_for(dsn, org=org) as engine:
        real = engine._record_success

        def crash(*args, **kwargs):
            real(*args, **kwargs)
            raise Crash

        engine._record_success = crash
        with pytest.raises(Crash):
            engine.write_cycle()
        assert _created_per_name(org, seeded) == {}
        assert [r["state"] for r in log_rows(dsn)] == ["PENDING"]
        del engine._record_success
        assert engine.write_cycle() == {"SUCCESS": 1}
    assert _created_per_name(org, seeded) == {"Contact 1": 1}


def test_two_engines__process_every_row_exactly_once(dsn):
    """Two engines racing over the same table (small batches) write each row once, in total."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    seeded = {r["Id"] for r in org.records("Contact")}
    _insert_contacts(dsn, 60)
    results: list[Counter[str]] = [Counter(), Counter()]
    errors: list[BaseException] = []

    def run(engine, counts):
        try:
            for _ in range(100):
                done = engine.write_cycle()
                counts.update(done)
                if not done and sum(results[0].values()) + sum(results[1].values()) >= 60:
                    return
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with (
        engine_for(dsn, org=org, state=state, batch_size=7) as first,
        engine_for(dsn, org=org, state=state, batch_size=7) as second,
    ):
        threads = [
            threading.Thread(target=run, args=(first, results[0])),
            threading.Thread(target=run, args=(second, results[1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert results[0]["SUCCESS"] + results[1]["SUCCESS"] == 60
    assert results[0]["SUCCESS"] > 0
    assert results[1]["SUCCESS"] > 0
    assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 60
    assert _created_per_name(org, seeded) == {f"Contact {n}": 1 for n in range(1, 61)}


def test_rows_locked_by_an_application_transaction_wait_for_the_next_pass(dsn):
    """A mapped row locked by the application is not waited for; it is written later."""
    import psycopg

    org = Org(0, records_per_object=10)
    _insert_contacts(dsn, 2)
    with engine_for(dsn, org=org) as engine, psycopg.connect(dsn) as app:
        app.execute("SELECT 1 FROM salesforce.contact WHERE id = 1 FOR UPDATE")
        assert engine.write_cycle() == {"SUCCESS": 1}
        assert [r["state"] for r in log_rows(dsn)] == ["PENDING", "SUCCESS"]
        app.rollback()
        assert engine.write_cycle() == {"SUCCESS": 1}
    assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS", "SUCCESS"]


def test_loops_survive_a_dropped_database_connection(dsn):
    """When the server drops the engine's sessions, the loops reconnect and carry on; rows
    claimed by the lost session are written once, after its lease is gone."""
    import time

    from heroku_connect.simulator.engine import APPLICATION_NAME

    org = Org(0, records_per_object=10)
    seeded = {r["Id"] for r in org.records("Contact")}
    _insert_contacts(dsn, 3)
    with engine_for(dsn, org=org, write_interval=0.05, read_interval=60) as engine:
        engine.write_cycle()
        killed = query(
            dsn,
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        )
        assert killed
        _insert_contacts(dsn, 2)
        engine.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 5:
                break
            time.sleep(0.05)
        assert _lease_count(dsn, engine.token) == 1  # the lease was taken again
    assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 5
    assert sum(_created_per_name(org, seeded).values()) == 5
