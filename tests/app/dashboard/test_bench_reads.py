"""`python -m bench dashboard_reads` runs end to end on a scratch database (no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench__dashboard_reads_prints_one_line_per_page():
    """Every page and endpoint gets a line with its statements, time and baseline ratio."""
    result = subprocess.run(
        [
            sys.executable,
            "-Werror",
            "-m",
            "bench",
            "--rows",
            "5",
            "--repeat",
            "1",
            "dashboard_reads",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"]},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 1 = a page missed its budget
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split()[:3] == ["benchmark", "rows", "stmts"]
    names = [line.split("  ")[0] for line in lines[2:]]
    assert [n.split(":")[0] for n in names[:9]] == ["page"] * 7 + ["json"] * 2
    assert names[9].startswith("summary refresh")
    assert all(" 1100 " in line for line in lines[2:])
