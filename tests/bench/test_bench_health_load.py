"""``python -m bench health_load`` runs gunicorn, a worker and the simulator, prints its lines."""

from __future__ import annotations

import os
import re

import pytest

from tests.bench.runner import run_bench


@pytest.mark.slow
def test_bench__health_load_prints_both_scenarios():
    """Two lines per scenario (page p95 with a verdict, /health/ p95 for information), with
    the API calls made and the /health/ answers counted; no timing is asserted."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL must point at the test PostgreSQL server")
    result = run_bench("--rows", "5", "--repeat", "1", "health_load", database_url=url)
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1 = the page missed 1 s
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("benchmark"))
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[header + 2 :] if line.strip()]
    assert [row[0].split(":")[0] for row in rows] == [
        "health load, API healthy",
        "health load, API healthy",
        "health load, API hanging",
        "health load, API hanging",
    ]
    assert rows[0][0].endswith("page p95 (50 pollers vs none)")
    assert rows[0][-1] in ("ok", "SLOW")
    assert rows[1][-1] == "info"
    # Two gunicorn workers, 50 pollers: one shared read of the API per scenario (healthy: the
    # list and one deep GET; hanging: the list GET that never answers).
    assert [int(row[2]) for row in rows] == [2, 2, 1, 1]
    assert all(int(row[3]) >= 50 for row in rows)  # /health/ answers in the window
