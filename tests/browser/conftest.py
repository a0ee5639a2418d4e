"""Playwright against a Chromium-based browser (see ``tests/browsers.py``) and Django's live server.

Every test in this folder is marked ``browser`` and runs last (see ``tests/conftest.py``).
Without any browser they are skipped with one summary line saying how to get one (a failure
under CI, which installs Debian's Chromium). Data-writing tests need
``@pytest.mark.django_db(transaction=True)``; the ``login`` fixture logs a user in through the
real login form.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from app.devservices import DATA
from tests.browsers import HOW_TO_GET_ONE, find_browser
from tests.needs import missing, running_in_ci

# The ORM is called from the test thread while Playwright's event loop runs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def browser_executable() -> str:
    """The browser to drive; outside CI, Playwright's own download is tried (once a day)."""
    search = find_browser(
        os.environ, marker=DATA / "playwright-install.json", allow_install=not running_in_ci()
    )
    if search.path is None:
        missing(
            "a Chromium-based browser for the browser tests",
            f"{HOW_TO_GET_ONE} (found none: {search.problem})",
        )
    return search.path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, browser_executable: str) -> dict:
    """The browser found, headless, with the flags this sandboxed machine needs."""
    return {
        **browser_type_launch_args,
        "executable_path": browser_executable,
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
