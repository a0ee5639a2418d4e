"""The browser the Playwright tests (``tests/browser/``) drive, looked for once per test run.

In this order: ``CHROMIUM_PATH``; a Chromium-based browser on ``PATH`` (Debian's ``chromium``,
Google Chrome, Chrome for Testing's ``chrome`` on Heroku CI); the Chromium that Playwright
manages, if it was downloaded before. With none of them, and outside CI, one bounded
``playwright install chromium`` (it downloads from Playwright's CDN, so it fails offline); a
failure is remembered for a day in ``.data/`` so later runs do not wait on it again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OVERRIDE = "CHROMIUM_PATH"
ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_COMMAND = (sys.executable, "-m", "playwright", "install", "chromium")
INSTALL_TIMEOUT = 180.0
#: After a failed download, the next attempt waits this long (seconds).
RETRY_AFTER = 24 * 3600.0
HOW_TO_GET_ONE = (
    "apt-get install chromium (Debian/Ubuntu), install Google Chrome, or run "
    f"`.venv/bin/python -m playwright install chromium`; {OVERRIDE}=/path/to/chrome picks one"
)


@dataclass(frozen=True)
class Search:
    """The browser found (``path``), or why there is none (``problem``)."""

    path: str | None
    problem: str = ""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def on_this_machine(environ: Mapping[str, str]) -> Search:
    """``CHROMIUM_PATH`` if set (it must exist), else the first browser of :data:`ON_PATH`."""
    override = environ.get(OVERRIDE)
    if override:
        if _executable(override):
            return Search(override)
        return Search(None, f"{OVERRIDE}={override} is not an executable file")
    for name in ON_PATH:
        found = shutil.which(name, path=environ.get("PATH", ""))
        if found:
            return Search(found)
    return Search(None, f"no {', '.join(ON_PATH)} on PATH")


def managed_by_playwright(environ: Mapping[str, str]) -> Search:
    """The Chromium Playwright downloads (``PLAYWRIGHT_BROWSERS_PATH`` or its cache folder).

    Asked in a child process: Playwright's sync API leaves an event loop in its thread.
    """
    query = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p: print(p.chromium.executable_path)"
    )
    result = subprocess.run(
        [sys.executable, "-c", query],
        env=dict(environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    path = result.stdout.strip()
    if result.returncode != 0 or not path:
        return Search(None, "Playwright could not say where its Chromium goes")
    if _executable(path):
        return Search(path)
    return Search(None, f"Playwright's Chromium is not downloaded ({path})")


def install_with_playwright(
    environ: Mapping[str, str],
    *,
    command: Sequence[str] = INSTALL_COMMAND,
    timeout: float = INSTALL_TIMEOUT,
) -> str:
    """Run ``playwright install chromium``; returns "" on success, else the reason."""
    try:
        result = subprocess.run(
            list(command), env=dict(environ), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"`playwright install chromium` did not finish within {timeout:g} s"
    except OSError as exc:
        return f"`playwright install chromium` could not run: {exc}"
    if result.returncode == 0:
        return ""
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    first_error = next((line for line in lines if line.startswith("Error")), None)
    return (
        f"`playwright install chromium` failed: {first_error or 'exit ' + str(result.returncode)}"
    )


def find_browser(
    environ: Mapping[str, str],
    *,
    marker: Path,
    allow_install: bool,
    install_command: Sequence[str] = INSTALL_COMMAND,
    install_timeout: float = INSTALL_TIMEOUT,
    now: float | None = None,
) -> Search:
    """The browser to drive, trying Playwright's download at most once a day (see module doc)."""
    now = time.time() if now is None else now
    local = on_this_machine(environ)
    if local.path or environ.get(OVERRIDE):
        return local  # an explicit CHROMIUM_PATH is never second-guessed
    managed = managed_by_playwright(environ)
    if managed.path:
        return managed
    problems = [local.problem, managed.problem]
    if not allow_install:
        return Search(None, "; ".join(problems))
    previous = _read_marker(marker)
    if previous and now - previous.get("failed_at", 0) < RETRY_AFTER:
        problems.append(f"{previous.get('reason', 'the download failed')} (not retried until a "
                        f"day has passed; delete {marker} to retry now)")  # fmt: skip
        return Search(None, "; ".join(problems))
    reason = install_with_playwright(environ, command=install_command, timeout=install_timeout)
    if not reason:
        marker.unlink(missing_ok=True)
        installed = managed_by_playwright(environ)
        if installed.path:
            return installed
        reason = installed.problem
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"failed_at": now, "reason": reason}))
    problems.append(reason)
    return Search(None, "; ".join(problems))


def _read_marker(marker: Path) -> dict | None:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
