"""tests.browsers: which browser the browser tests drive, and the one-a-day Playwright download.

The machine's own Chromium is never touched: PATH, CHROMIUM_PATH and PLAYWRIGHT_BROWSERS_PATH
point at temporary folders, and the download command is a stand-in script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import browsers

ROOT = Path(__file__).resolve().parents[1]


def _executable(path: Path, body: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nPATH=/usr/bin:/bin\n{body}\n")  # the tests empty PATH
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path) -> dict[str, str]:
    """An environment without any browser: an empty PATH and an empty Playwright folder."""
    (tmp_path / "bin").mkdir()
    environ = {k: v for k, v in os.environ.items() if k != browsers.OVERRIDE}
    environ.update(PATH=str(tmp_path / "bin"), PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "pw"))
    return environ


@pytest.mark.parametrize("name", ["chromium", "google-chrome", "chrome"])
def test_on_this_machine__finds_a_chromium_based_browser_on_path(tmp_path, bare, name):
    browser = _executable(tmp_path / "bin" / name)
    assert browsers.on_this_machine(bare) == browsers.Search(str(browser))


def test_on_this_machine__debians_chromium_comes_before_chrome(tmp_path, bare):
    _executable(tmp_path / "bin" / "google-chrome")
    chromium = _executable(tmp_path / "bin" / "chromium")
    assert browsers.on_this_machine(bare).path == str(chromium)


def test_on_this_machine__the_override_wins_and_must_exist(tmp_path, bare):
    _executable(tmp_path / "bin" / "chromium")
    mine = _executable(tmp_path / "elsewhere" / "my-chrome")
    assert browsers.on_this_machine({**bare, browsers.OVERRIDE: str(mine)}).path == str(mine)
    gone = browsers.on_this_machine({**bare, browsers.OVERRIDE: str(tmp_path / "nope")})
    assert gone.path is None
    assert f"{browsers.OVERRIDE}={tmp_path / 'nope'} is not an executable file" == gone.problem


def test_managed_by_playwright__finds_the_downloaded_chromium(tmp_path, bare):
    """Playwright's own Chromium counts once it is where Playwright puts it."""
    absent = browsers.managed_by_playwright(bare)
    assert absent.path is None
    assert "Playwright's Chromium is not downloaded" in absent.problem
    expected = absent.problem.rsplit("(", 1)[1].rstrip(")")
    assert expected.startswith(str(tmp_path / "pw"))
    _executable(Path(expected))
    assert browsers.managed_by_playwright(bare).path == expected


def test_find_browser__tries_the_download_once_then_remembers_the_failure(tmp_path, bare):
    """Nothing found: one download attempt; its failure is not retried within a day."""
    marker = tmp_path / "data" / "playwright-install.json"
    calls = tmp_path / "calls"
    failing = _executable(
        tmp_path / "install", f"echo x >> {calls}; echo 'Error: offline' >&2; exit 1"
    )
    search = browsers.find_browser(
        bare, marker=marker, allow_install=True, install_command=[str(failing)], now=1000.0
    )
    assert search.path is None
    assert "`playwright install chromium` failed: Error: offline" in search.problem
    assert json.loads(marker.read_text())["failed_at"] == 1000.0
    again = browsers.find_browser(
        bare, marker=marker, allow_install=True, install_command=[str(failing)], now=2000.0
    )
    assert again.path is None
    assert "not retried until a day has passed" in again.problem
    assert calls.read_text().count("x") == 1
    browsers.find_browser(
        bare,
        marker=marker,
        allow_install=True,
        install_command=[str(failing)],
        now=1000.0 + browsers.RETRY_AFTER + 1,
    )
    assert calls.read_text().count("x") == 2


def test_find_browser__a_successful_download_is_used(tmp_path, bare):
    """The stand-in 'download' puts a browser where Playwright looks: it is found."""
    expected = browsers.managed_by_playwright(bare).problem.rsplit("(", 1)[1].rstrip(")")
    install = _executable(
        tmp_path / "install",
        f"mkdir -p {Path(expected).parent} && printf '#!/bin/sh\\n' > {expected} && "
        f"chmod +x {expected}",
    )
    search = browsers.find_browser(
        bare, marker=tmp_path / "m.json", allow_install=True, install_command=[str(install)]
    )
    assert search.path == expected
    assert not (tmp_path / "m.json").exists()


def test_find_browser__the_download_is_bounded_in_time(tmp_path, bare):
    hanging = _executable(tmp_path / "install", "sleep 30")
    search = browsers.find_browser(
        bare,
        marker=tmp_path / "m.json",
        allow_install=True,
        install_command=[str(hanging)],
        install_timeout=0.5,
    )
    assert "`playwright install chromium` did not finish within 0.5 s" in search.problem


def test_find_browser__no_download_when_not_allowed(tmp_path, bare):
    """Under CI nothing is downloaded: a missing browser is reported at once."""
    never = _executable(tmp_path / "install", f"touch {tmp_path / 'ran'}")
    search = browsers.find_browser(
        bare, marker=tmp_path / "m.json", allow_install=False, install_command=[str(never)]
    )
    assert search.path is None
    assert not (tmp_path / "ran").exists()


def _browser_suite(tmp_path: Path, bare: dict[str, str], **extra: str) -> str:
    """Run the real browser tests without any browser (a recent failed download remembered)."""
    data = tmp_path / "data"
    data.mkdir(parents=True)
    (data / "playwright-install.json").write_text(
        json.dumps({"failed_at": 4102444800.0, "reason": "offline"})  # in 2100: still recent
    )
    environ = {**bare, "HCOP_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), **extra}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout


@pytest.mark.slow
def test_browser_tests__without_a_browser_are_skipped_with_one_line(tmp_path, bare):
    """No browser anywhere: every browser test is skipped, with ONE summary line on how to get
    one; under CI the same run fails."""
    bare.pop("CI", None)
    output = _browser_suite(tmp_path, bare)
    summary = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(summary) == 1, output
    assert (
        "needs a Chromium-based browser for the browser tests: apt-get install chromium"
        in (summary[0])
    )
    assert re.fullmatch(r"\d+ skipped in [\d.]+s", output.splitlines()[-1].strip()), output
    failed = _browser_suite(tmp_path / "ci", bare, CI="true")
    assert "CI must provide what this test needs a Chromium-based browser" in failed
    assert " error" in failed.splitlines()[-1]
