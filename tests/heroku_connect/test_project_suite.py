"""A project's existing test suite passes unchanged with this library swapped in.

``tests/heroku_connect/project/`` is such a suite (see its ``__init__.py``): its own settings,
an app with connected models, factories creating trigger-log and archive rows without ids, a
stand-in Heroku Connect API changed between calls, admin action posts. It runs here in its own
pytest process on the library's default (tables-only) test database, named
``<HCOP_TEST_DB_NAME>_project`` so that it never meets the main suite's development schema.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "heroku_connect" / "project"


@pytest.mark.slow
def test_project_suite__passes_on_the_default_test_database():
    """Every test of the project suite passes, with warnings as errors, and none is skipped."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(PROJECT / "pytest.ini"),
            "--rootdir",
            str(PROJECT),
            str(PROJECT),
            "-q",
            "-rs",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = re.search(r"^(\d+) passed in ", output, re.MULTILINE)
    assert summary, output
    assert int(summary.group(1)) >= 20, output
    assert not re.search(r"\b(failed|skipped|error|warnings?)\b", output.splitlines()[-1]), output
