"""Tests that need something a machine may lack (PostGIS, GDAL, a browser).

Locally such a test is skipped with a reason naming what to install, so ``make test`` passes on
a fresh machine; under CI (``CI`` set, as CI services and Heroku CI do) the same skip is a
failure, so CI, which installs everything, still proves these tests::

    from tests.needs import missing

    if not postgis_available():
        missing("PostGIS on the test database server", "apt-get install postgresql-15-postgis-3")

Wherever it is raised from (a test, a helper, a fixture), such a skip is reported at this
module's line, so pytest folds the skips of one reason into one summary line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NoReturn

import pytest


class MissingRequirement(pytest.skip.Exception):
    """A skip because the machine lacks something; a failure under CI."""


def running_in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """``CI`` set to anything but an empty, ``0``, ``false`` or ``no`` value."""
    return environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(what: str, how: str) -> NoReturn:
    """Skip the running test: ``what`` is not available here; ``how`` says how to get it."""
    raise MissingRequirement(f"needs {what}: {how}", allow_module_level=True)


def require_gdal() -> None:
    """Django's PostGIS backend loads the GDAL library when imported."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.contrib.gis.gdal import libgdal  # noqa: F401
    except (ImproperlyConfigured, OSError):
        missing(
            "the GDAL library (Django's PostGIS backend loads it)",
            "apt-get install gdal-bin libgdal32 (Debian/Ubuntu) or brew install gdal (macOS)",
        )


def require_postgis(settings_dict: dict[str, Any]) -> None:
    """GDAL, and the PostGIS extension on the server of ``settings_dict`` (a DATABASES entry).

    The embedded PostgreSQL of ``make test`` has no PostGIS.
    """
    import psycopg

    from heroku_connect.test.simulator import dsn_from_settings_dict

    require_gdal()
    with psycopg.connect(dsn_from_settings_dict(settings_dict)) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
        ).fetchone()
        major = conn.info.server_version // 10000
    if not available:
        missing(
            f"PostGIS on the test PostgreSQL {major} server",
            f"install it there (Debian: apt-get install postgresql-{major}-postgis-3) and set "
            "DATABASE_URL to that server; the embedded PostgreSQL has no PostGIS",
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if not (
        report.skipped
        and call.excinfo is not None
        and call.excinfo.errisinstance(MissingRequirement)
    ):
        return report
    reason = call.excinfo.value.msg
    if running_in_ci():
        report.outcome = "failed"
        report.longrepr = f"CI must provide what this test {reason}"
    else:
        # Reported where missing() raised (not at each test, as for fixtures' skips), so the
        # summary folds every skip of one reason into one line.
        raised = call.excinfo.traceback[-1]
        report.longrepr = (str(raised.path), raised.lineno + 1, reason)
    return report
