"""Shared machinery for the benchmarks: a scratch database, timing and the result table."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

from heroku_connect.db.database_url import libpq_conninfo


@dataclass(frozen=True)
class Options:
    rows: int
    repeat: int


@dataclass(frozen=True)
class Result:
    """One line of the table: ``subject`` compared with ``baseline`` on the same rows."""

    name: str
    rows: int
    statements: int
    baseline_statements: int
    seconds: float
    baseline_seconds: float
    target_ratio: float | None = None

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")

    @property
    def verdict(self) -> str:
        if self.target_ratio is None:
            return "info"
        return "ok" if self.ratio <= self.target_ratio else "SLOW"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    """Create an empty database next to ``database_url``'s, yield its URL, drop it afterwards."""
    name = f"bench_hcop_{uuid.uuid4().hex[:12]}"
    admin_url = libpq_conninfo(_with_database(database_url, "postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(database_url, name)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def django_environment(database_url: str) -> Iterator[None]:
    """Django configured on a scratch database with the Heroku Connect schema and migrations."""
    with scratch_database(database_url) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.pop("TEST_DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.test")
        import django
        from django.core.management import call_command

        django.setup()
        from heroku_connect.dev_schema import create_heroku_connect_schema

        create_heroku_connect_schema(development=True)
        call_command("migrate", verbosity=0)
        yield


def median_seconds(
    func: Callable[[], object], *, before: Callable[[], object], repeat: int
) -> float:
    """Median wall time of ``func`` over ``repeat`` runs, calling ``before`` (untimed) each time."""
    timings = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        func()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def statement_count(func: Callable[[], object], *, before: Callable[[], object]) -> int:
    """SQL statements ``func`` runs on the default database, after calling ``before``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before()
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured.captured_queries)


def print_table(results: list[Result]) -> None:
    headers = ("benchmark", "rows", "stmts", "base stmts", "time ms", "base ms", "ratio", "target")
    lines = [
        (
            r.name,
            str(r.rows),
            str(r.statements),
            str(r.baseline_statements),
            f"{r.seconds * 1000:.1f}",
            f"{r.baseline_seconds * 1000:.1f}",
            f"{r.ratio:.2f}x",
            f"<= {r.target_ratio:g}x {r.verdict}" if r.target_ratio else r.verdict,
        )
        for r in results
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
