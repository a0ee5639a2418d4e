"""Project-wide pytest configuration."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.simulator_fixtures", "tests.needs"]

# A project's own suite with its own settings; test_project_suite.py runs it in a subprocess.
collect_ignore = ["heroku_connect/project"]


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


@pytest.fixture(autouse=True)
def _empty_heroku_connect_tables_after_transactional_tests(request: pytest.FixtureRequest):
    """Empty the trigger log and the connected tables after tests that commit.

    Django's flush after ``transaction=True`` tests (and ``live_server``) empties managed tables
    only; rows committed into the unmanaged Heroku Connect tables would leak into later tests.
    TRUNCATE is not captured by the Heroku Connect triggers.
    """
    marker = request.node.get_closest_marker("django_db")
    commits = bool({"transactional_db", "live_server"} & set(request.fixturenames)) or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not commits:
        yield
        return
    # Set up (and so torn down) around this fixture: the database is still open below.
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from heroku_connect.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
            "FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' AND table_name <> '_hcmeta'",
            [settings.HEROKU_CONNECT_SCHEMA],
        )
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute(f"TRUNCATE {', '.join(tables)}")


@pytest.fixture(scope="session")
def embedded_postgres() -> Iterator[object]:
    """A private embedded PostgreSQL started by the launcher (as root: its unprivileged way).

    For tests that must hold against the embedded server whatever server the suite uses.
    Capitals in the folder name check that socket paths keep their case.
    """
    from app.devservices import ProcessGroup, start_postgres

    folder = Path(tempfile.mkdtemp(prefix="hcop-PG-", dir="/tmp"))  # short: socket paths
    folder.chmod(0o755)  # like a checkout: reachable for the launcher's system user
    group = ProcessGroup()
    try:
        yield start_postgres(group, folder)
    finally:
        group.stop()
        shutil.rmtree(folder, ignore_errors=True)
