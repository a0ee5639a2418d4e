"""Project-wide pytest configuration."""

import pytest

pytest_plugins = ["tests.simulator_fixtures"]


def _is_browser_test(item: pytest.Item) -> bool:
    return "tests/browser/" in item.path.as_posix()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the Playwright tests ``browser`` and run them after every other test.

    Playwright's sync API leaves an asyncio event loop set in the main thread, and code that
    calls ``asyncio.run()`` (django-health-check 4.x) refuses to run under it.
    """
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
    items.sort(key=_is_browser_test)
