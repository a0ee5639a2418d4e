"""End-to-end mapping import against the simulator: the dashboard's pipeline vs a bare client.

Subject: ``request_import`` (what the confirmed POST calls) -> ``transaction.on_commit`` ->
the ``connections.run_import`` task on a real Celery worker (in-memory broker) -> upload ->
polling with bounded backoff -> DONE; the clock stops when every mapping is ``DATA_SYNCED``
(the bench polls the simulator every 50 ms for that). Baseline: the same import through
``HerokuConnectClient.import_mapping`` and a 50 ms polling loop, no queue, no job table.

Each run starts from an empty ``salesforce`` schema and a new simulator, so the import creates
and loads every table (``--rows`` Salesforce records per object). "stmts" is the number of
API calls (job: upload + polls + export; baseline: upload + polls). The time includes the
simulator's ``import_seconds`` (1 s) in both; the difference is our polling granularity and
the queue. Reported for information (the backoff trades a few seconds for fewer API calls).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test import override_settings

from bench.harness import Options, Result

IMPORT_SECONDS = 1.0
POLL = 0.05
TIMEOUT = 120.0


def _all_synced(sim) -> bool:  # noqa: ANN001
    mappings = sim.state.mappings()
    return bool(mappings) and all(m.state == "DATA_SYNCED" for m in mappings)


def _wait(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("the import did not reach DATA_SYNCED in time")
        time.sleep(POLL)


def _empty_schema() -> None:
    from heroku_connect.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{settings.HEROKU_CONNECT_SCHEMA}" CASCADE')


def _one_run(rows: int, measure: Callable[[object, dict], int]) -> tuple[float, int]:
    """Seconds from the start of the import to all mappings DATA_SYNCED, and API calls."""
    from heroku_connect.mapping import get_mapping
    from heroku_connect.simulator import Simulator

    _empty_schema()
    sim = Simulator(
        os.environ["DATABASE_URL"], import_seconds=IMPORT_SECONDS, records_per_object=rows
    )
    with (
        sim,
        override_settings(
            HEROKU_CONNECT_API_ENDPOINT=sim.api_url,
            HEROKU_AUTH_TOKEN=sim.token,
            HEROKU_CONNECT_APP_NAME=sim.app_name,
        ),
    ):
        document = get_mapping()
        start = time.perf_counter()
        calls = measure(sim, document)
        _wait(lambda: _all_synced(sim))
        return time.perf_counter() - start, calls


def _pipeline(sim, document: dict) -> int:  # noqa: ANN001
    from app.connections import services
    from app.connections.models import Connection, ImportJob

    run = services.refresh_status(client=services.make_client())
    if not run.ok:
        raise RuntimeError(run.error_message)
    job = services.request_import(
        conn=Connection.objects.get(connection_id=sim.connection_id),
        document=document,
        user=None,
    )
    _wait(lambda: not ImportJob.objects.get(pk=job.pk).is_active)
    job.refresh_from_db()
    if job.state != ImportJob.State.DONE:
        raise RuntimeError(f"import failed: {job.reason}")
    return 1 + job.polls + 1


def _baseline(sim, document: dict) -> int:  # noqa: ANN001
    from heroku_connect.api import HerokuConnectClient

    calls = 1
    with HerokuConnectClient() as client:
        client.import_mapping(sim.connection_id, document)
        while client.get_connection(sim.connection_id)["state"] == "IMPORT_CONFIGURATION":
            calls += 1
            time.sleep(POLL)
    return calls + 1


def _reset_jobs() -> None:
    from app.connections.models import Connection, ImportJob, RefreshRun

    ImportJob.objects.all().delete()
    Connection.objects.all().delete()
    RefreshRun.objects.all().delete()


def run(options: Options) -> list[Result]:
    from celery.contrib.testing.worker import start_worker

    from app.celery import app as celery_app

    repeat = max(1, min(options.repeat, 3))  # each run takes seconds
    timings: dict[str, list[float]] = {"pipeline": [], "baseline": []}
    calls: dict[str, int] = {}
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(repeat):
            _reset_jobs()
            seconds, calls["pipeline"] = _one_run(options.rows, _pipeline)
            timings["pipeline"].append(seconds)
            seconds, calls["baseline"] = _one_run(options.rows, _baseline)
            timings["baseline"].append(seconds)
    return [
        Result(
            name="mapping import to DATA_SYNCED (job + worker vs bare client)",
            rows=options.rows,
            statements=calls["pipeline"],
            baseline_statements=calls["baseline"],
            seconds=statistics.median(timings["pipeline"]),
            baseline_seconds=statistics.median(timings["baseline"]),
        )
    ]
