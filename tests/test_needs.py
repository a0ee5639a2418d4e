"""tests.needs: a missing requirement is a skip with what to install, and a failure under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import running_in_ci

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = """
import pytest
from tests.needs import missing

@pytest.fixture(scope="session")
def gadget():
    missing("the gadget server", "apt-get install gadget")

@pytest.mark.parametrize("n", [1, 2, 3])
def test_uses_the_gadget(gadget, n):
    pass

def test_missing_inside_the_test():
    missing("PostGIS", "apt-get install postgresql-15-postgis-3")

def test_an_ordinary_skip_stays_a_skip():
    pytest.skip("not applicable here")

def test_plain():
    pass
"""


def _run_sample(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        environ["CI"] = ci
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(tmp_path),
         "-p", "tests.needs", "-p", "no:cacheprovider", "-p", "no:django", "-ra",
         str(tmp_path / "test_sample.py")],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing__is_a_skip_naming_what_to_install_outside_ci(tmp_path, ci):
    """Outside CI: skipped, one summary line per reason (three tests, one line)."""
    result = _run_sample(tmp_path, ci)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 5 skipped" in result.stdout
    summary = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    gadget = [line for line in summary if "needs the gadget server: apt-get install gadget" in line]
    assert len(gadget) == 1
    assert gadget[0].startswith("SKIPPED [3] ")
    assert gadget[0].endswith(": needs the gadget server: apt-get install gadget")
    assert any("needs PostGIS: apt-get install postgresql-15-postgis-3" in s for s in summary)


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_missing__is_a_failure_under_ci(tmp_path, ci):
    """Under CI the missing requirements fail (naming what CI must provide); ordinary skips
    stay skips."""
    result = _run_sample(tmp_path, ci)
    assert result.returncode == 1, result.stdout
    # A failing fixture is an error of the tests using it, as pytest reports setup failures.
    assert "1 failed, 1 passed, 1 skipped, 3 errors" in result.stdout
    assert "CI must provide what this test needs the gadget server: apt-get install gadget" in (
        result.stdout
    )
    assert "SKIPPED [1]" in result.stdout
    assert "not applicable here" in result.stdout


def test_running_in_ci__reads_the_ci_variable():
    assert running_in_ci({"CI": "true"})
    assert running_in_ci({"CI": "1"})
    assert not running_in_ci({})
    assert not running_in_ci({"CI": "false"})
