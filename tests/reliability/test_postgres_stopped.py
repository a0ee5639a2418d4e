"""PostgreSQL stopped in the middle of a bulk action (a private, throwaway cluster; never the
machine's server): nothing is half-applied, and after the restart the action completes once."""

from __future__ import annotations

import subprocess
import time

import psycopg
import pytest

from tests.reliability.processes import (
    PYTHON,
    ROOT,
    SETTINGS,
    PrivatePostgres,
    scratch_folder,
    wait_until,
)

pytestmark = pytest.mark.slow

ROWS = 300_000
RECOVERY_LIMIT = 60
COUNT_STATES = "SELECT state, count(*) FROM salesforce._trigger_log GROUP BY state"


def _env(cluster: PrivatePostgres) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HEROKU_"))}
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, DATABASE_URL=cluster.url, PYTHONPATH=str(ROOT))
    return env


def _manage(cluster: PrivatePostgres, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=_env(cluster),
        check=True,
        capture_output=True,
        timeout=120,
    )


def _bulk_action(cluster: PrivatePostgres) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "tests.reliability.bulk_action", "ignore"],
        cwd=ROOT,
        env=_env(cluster),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _states(cluster: PrivatePostgres) -> dict[str, int]:
    with psycopg.connect(cluster.url) as conn:
        return dict(conn.execute(COUNT_STATES).fetchall())


def _updating(cluster: PrivatePostgres) -> bool:
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        return bool(
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%UPDATE%_trigger_log%' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        )


@pytest.fixture
def cluster():
    with scratch_folder("pg") as folder:
        cluster = PrivatePostgres(folder).init().start()
        try:
            _manage(cluster, "migrate", "--no-input")
            _manage(cluster, "create_development_schema")
            with psycopg.connect(cluster.url) as conn:
                conn.execute(
                    "INSERT INTO salesforce._trigger_log (txid, state, action, table_name, "
                    "record_id, \"values\", sf_message) SELECT 1, 'FAILED', 'UPDATE', 'account', "
                    "g, '\"name\"=>\"x\"', 'UNABLE_TO_LOCK_ROW' FROM generate_series(1, %s) g",
                    [ROWS],
                )
            yield cluster
        finally:
            cluster.stop()


def test_postgres_stopped_mid_bulk_action__all_or_nothing_then_once(cluster):
    """The server stops (fast shutdown) while the 300,000-row ignore runs: the action fails
    with one clear line, no row changed; after the restart it runs again, every row once."""
    action = _bulk_action(cluster)
    wait_until(lambda: _updating(cluster), timeout=60, interval=0.01, what="UPDATE running")
    cluster.stop()
    output, _ = action.communicate(timeout=60)
    assert action.returncode == 1, output
    assert "OperationalError" in output or "InterfaceError" in output, output
    assert len(output.strip().splitlines()) == 1, output

    cluster.start()
    restarted = time.monotonic()
    assert _states(cluster) == {"FAILED": ROWS}  # rolled back as a whole
    retried = _bulk_action(cluster)
    output, _ = retried.communicate(timeout=120)
    recovery = time.monotonic() - restarted
    print(f"\nPostgreSQL stopped mid-action: completed {recovery:.1f} s after the restart")
    assert retried.returncode == 0, output
    assert f"Ignored {ROWS:,} failed writes" in output
    assert _states(cluster) == {"IGNORED": ROWS}
    with psycopg.connect(cluster.url) as conn:
        audit = conn.execute(
            "SELECT outcome, row_count FROM audit_auditentry WHERE action = 'ignore'"
        ).fetchall()
    assert audit == [("ok", ROWS)]
    assert recovery < RECOVERY_LIMIT
