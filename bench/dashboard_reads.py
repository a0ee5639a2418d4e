"""Dashboard read pages on a large trigger log: time, statements and the bare-SQL baseline.

Data: ``--rows N`` gives ``200 N`` archived FAILED rows and ``20 N`` live rows (the default
5000 gives the 1,000,000 / 100,000 of issue 5), with the error texts of
docs/heroku-connect/errors.md spread over three tables and 30 days, built with
``generate_series``. Only Heroku Connect's own indexes exist on its tables. The error-group
summaries are rebuilt once first (the beat task's job; its time is shown for information). Each
page is rendered with Django's test client as a logged-in Viewer; the baseline replays the very
SELECT statements the page ran, as bare SQL on a cursor, so the ratio is what Django, the
selectors and the template add. Target: each page under 300 ms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.harness import Options, Result, median_seconds

MAX_SECONDS = 0.300

#: (table, message SQL expression over the series number ``n``), cycled through the rows.
_MESSAGES = (
    "'unable to obtain exclusive access to this record or 1 records: 0033000000' "
    "|| lpad(n::text, 8, '0')",
    "'Email: invalid email address: user' || n || '@@example'",
    "'duplicate value found: External_ID__c duplicates value on record with id: a006g0000' "
    "|| lpad(n::text, 9, '0')",
    "'entity is deleted'",
    "'Name: data value too large: ' || repeat('x', 90 + n % 7) || ' (max length=80)'",
    "'Required fields are missing: [LastName]'",
    "'Industry: bad value for restricted picklist field: Sector ' || n",
)
_TABLES = ("contact", "account", "project__c")
_VALUES = '\'"name"=>"x"\''  # an hstore literal


@dataclass(frozen=True)
class PageResult(Result):
    """A page timing judged against an absolute budget (the ratio is for information)."""

    max_seconds: float = MAX_SECONDS

    @property
    def verdict(self) -> str:
        return "ok" if self.seconds <= self.max_seconds else "SLOW"


def _message_case() -> str:
    whens = " ".join(f"WHEN {i} THEN {expr}" for i, expr in enumerate(_MESSAGES))
    return f"CASE n % {len(_MESSAGES)} {whens} END"


def _table_case() -> str:
    whens = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(_TABLES))
    return f"CASE n % {len(_TABLES)} {whens} END"


def _populate(archived: int, live: int) -> None:
    """Archived FAILED rows (ids 1..archived) and live rows above them, over 30 days."""
    spread = "now() - (n % 43200) * interval '1 minute'"
    columns = (
        "id, txid, created_at, updated_at, processed_at, state, action, table_name, record_id, "
        'sfid, "values", sf_message'
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO salesforce._trigger_log_archive ({columns}) "
            f"SELECT n, n, {spread}, {spread}, {spread}, 'FAILED', 'UPDATE', {_table_case()}, "
            f"n % 50000 + 1, NULL, {_VALUES}, {_message_case()} "
            f"FROM generate_series(1, {int(archived)}) n"
        )
        live_states = "(ARRAY['FAILED', 'NEW', 'NEW', 'PENDING', 'SUCCESS'])[n % 5 + 1]"
        cursor.execute(
            f"INSERT INTO salesforce._trigger_log ({columns}) "
            f"SELECT n, n, now() - (n % 1440) * interval '1 minute', now(), NULL, {live_states}, "
            f"'UPDATE', {_table_case()}, n % 50000 + 1, NULL, {_VALUES}, "
            f"CASE WHEN n % 5 = 0 THEN {_message_case()} END "
            f"FROM generate_series({int(archived) + 1}, {int(archived + live)}) n"
        )
        # A rare group (one archived row in 10,000): its page must not scan the whole archive.
        cursor.execute(
            "UPDATE salesforce._trigger_log_archive SET sf_message = 'storage limit exceeded' "
            "WHERE id % 10000 = 1"
        )
        cursor.execute(f"SELECT setval('salesforce._trigger_log_id_seq', {int(archived + live)})")
        cursor.execute("VACUUM ANALYZE salesforce._trigger_log_archive")
        cursor.execute("VACUUM ANALYZE salesforce._trigger_log")


def _viewer_client() -> Client:
    user = User.objects.create_user("bench-viewer", password="bench-only")
    user.groups.add(Group.objects.get(name="Viewers"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _page(client: Client, url: str) -> Callable[[], None]:
    def run() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return run


def _captured_selects(func: Callable[[], None]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        func()
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]


def _replay(statements: list[str]) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql.replace("%", "%%"))
                cursor.fetchall()

    return run


def _nothing() -> None:
    pass


def run(options: Options) -> list[Result]:
    from app.dashboard import stats
    from app.dashboard.models import ErrorGroupStat

    logging.getLogger("app.dashboard.stats").setLevel(logging.WARNING)  # keep the table clean
    archived, live = options.rows * 200, options.rows * 20
    _populate(archived, live)
    started = time.perf_counter()
    run_info = stats.refresh_stats()
    refresh_seconds = time.perf_counter() - started
    lock = ErrorGroupStat.objects.filter(code="UNABLE_TO_LOCK_ROW", table_name="contact").first()
    client = _viewer_client()
    rare = ErrorGroupStat.objects.filter(code="STORAGE_LIMIT_EXCEEDED").first()
    group_url = f"/failures/?group={lock.key}&source=both" if lock else "/failures/"
    rare_url = f"/failures/?group={rare.key}&source=both" if rare else "/failures/"
    pages = [
        ("page: overview", "/"),
        ("page: overview, 30 days", "/?range=30d"),
        ("page: error groups", "/groups/"),
        ("page: failures, table filter", "/failures/?table=contact&source=both"),
        ("page: failures, group filter", group_url),
        ("page: failures, rare group", rare_url),
        ("page: failures, table + since", "/failures/?table=account&since=2000-01-01T00:00"),
        ("json: overview", "/api/overview.json"),
        ("json: error groups", "/api/error-groups.json"),
    ]
    results: list[Result] = []
    for name, url in pages:
        subject = _page(client, url)
        subject()  # warm the caches (templates, plans) once
        selects = _captured_selects(subject)
        baseline = _replay(selects)
        with CaptureQueriesContext(connection) as captured:
            subject()
        results.append(
            PageResult(
                name=name,
                rows=archived + live,
                statements=len(captured.captured_queries),
                baseline_statements=len(selects),
                seconds=median_seconds(subject, before=_nothing, repeat=options.repeat),
                baseline_seconds=median_seconds(baseline, before=_nothing, repeat=options.repeat),
            )
        )
    results.append(
        Result(
            name=f"summary refresh (beat task, {run_info.groups} groups)",
            rows=archived + live,
            statements=0,
            baseline_statements=0,
            seconds=refresh_seconds,
            baseline_seconds=refresh_seconds,
        )
    )
    return results
