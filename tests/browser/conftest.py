"""Playwright against Debian's Chromium (never `playwright install`) and Django's live server.

Every test in this folder is marked ``browser`` and runs last (see ``tests/conftest.py``).
Data-writing tests need ``@pytest.mark.django_db(transaction=True)``; the ``login`` fixture logs a
user in through the real login form.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

# Debian's Chromium here and in CI; Chrome for Testing on Heroku CI (its buildpack, app.json).
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH")
    or shutil.which("chromium")
    or shutil.which("chrome")
    or "/usr/bin/chromium"
)

# The ORM is called from the test thread while Playwright's event loop runs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, headless, with the flags this sandboxed machine needs."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture
def login(live_server, page) -> Callable[[str, str], None]:
    """Log in through the real login form: ``login(username, password)``."""

    def _login(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("[type=submit]")
        page.wait_for_load_state()

    return _login
