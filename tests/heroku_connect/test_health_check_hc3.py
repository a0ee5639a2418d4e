"""Run the health-check contrib tests under django-health-check 3.x in a second virtualenv.

The main virtualenv has django-health-check 4.x. ``.venv-hc3/`` (git-ignored) is built once
with ``python -m venv`` and pip (its wheel cache makes a rebuild take seconds) and reused while
its requirements are unchanged; a file lock keeps concurrent runs from building it twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-hc3"
HC3_DIR = ROOT / "tests" / "heroku_connect" / "hc3"
REQUIREMENTS = (
    "django-health-check>=3.21,<4",
    "Django==5.2.19",
    "django-appconf",
    "requests",
    "psycopg[binary]",
    "pytest",
    "pytest-django",
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


STAMP = VENV / f".complete-{_digest(' '.join(REQUIREMENTS))}"


def _python() -> Path:
    """The .venv-hc3 interpreter, built (under a lock) if missing or outdated."""
    python = VENV / "bin" / "python"
    lock_path = Path(tempfile.gettempdir()) / f"hcop-venv-hc3-{_digest(str(ROOT))}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not STAMP.exists():
            shutil.rmtree(VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
                check=True,
                capture_output=True,
                timeout=300,
            )
            STAMP.touch()
    return python


@pytest.mark.slow
def test_health_check_contrib__passes_under_django_health_check_3():
    """The 3.x contrib tests (INSTALLED_APPS registration, check_status) pass in .venv-hc3."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            str(_python()),
            "-m",
            "pytest",
            "-c",
            str(HC3_DIR / "pytest.ini"),
            "--rootdir",
            str(HC3_DIR),
            str(HC3_DIR / "hc3_contrib.py"),
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in output
    assert "failed" not in output
    assert "warnings summary" not in output
