"""`python -m bench` runs end to end on a scratch database (no timing is asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.bench.runner import run_bench

ROOT = Path(__file__).resolve().parents[2]


def _bench_databases(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench_hcop_%'")
        return {name for (name,) in rows}


@pytest.fixture
def database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL must point at the test PostgreSQL server")
    return url


def test_bench__admin_retry_prints_the_table_and_drops_its_database(database_url):
    """The admin-retry benchmark prints one line per case with statements and ratios."""
    before = _bench_databases(database_url)
    result = run_bench("--rows", "20", "--repeat", "1", "admin_retry", database_url=database_url)
    assert result.returncode in (0, 1), result.stderr  # 1 = a target missed, still a table
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["benchmark", "rows", "stmts"]
    cases = [line for line in lines[2:] if line.strip()]
    assert [line.split(",")[0] for line in cases] == ["admin retry"] * 4
    assert all(" 20 " in line and "x" in line for line in cases)
    assert _bench_databases(database_url) == before


def test_bench__unknown_name_and_missing_database_url():
    """Bad input gives a clear error and exit status 2."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    missing = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: DATABASE_URL is not set")
    unknown = subprocess.run(
        [sys.executable, "-m", "bench", "nope"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"},
        capture_output=True,
        text=True,
    )
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "error: no benchmark named nope")
