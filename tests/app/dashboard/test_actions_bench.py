"""`python -m bench group_actions` runs end to end on a scratch database (no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_bench__group_actions_prints_retry_and_ignore_against_bare_sql():
    """Both cases run on the same rows as their bare-SQL baseline and print a ratio."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL must point at the test PostgreSQL server")
    result = subprocess.run(
        [
            sys.executable,
            "-Werror",
            "-m",
            "bench",
            "--rows",
            "50",
            "--repeat",
            "1",
            "group_actions",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 1 = a target missed, still a table
    lines = [line for line in result.stdout.splitlines()[2:] if line.strip()]
    assert [line.split(",")[0] for line in lines] == [
        "dashboard retry",
        "dashboard ignore",
        "dashboard retry job",
        "dashboard ignore job",
    ]
    assert all(" 50 " in line and "x" in line for line in lines)
