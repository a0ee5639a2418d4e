"""``python -m bench import_end_to_end`` runs against the simulator and prints its table line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_bench__import_end_to_end_prints_a_line():
    """One run of the pipeline and the baseline; the table line has API calls and times."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL must point at the test PostgreSQL server")
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "bench", "--rows", "5", "--repeat", "1",
         "import_end_to_end"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("benchmark"))
    (row,) = [line for line in lines[header + 2 :] if line.strip()]
    assert row.startswith("mapping import to DATA_SYNCED")
    assert row.split()[-1] == "info"
