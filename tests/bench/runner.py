"""Run ``python -m bench`` as a user would, for the benchmarks' smoke tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``python -W error -m bench ARGS`` from the repository root, warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "bench", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
