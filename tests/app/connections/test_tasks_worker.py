"""The Celery tasks on a real worker (in-memory broker), against the simulator."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from app.celery import app as celery_app
from app.connections import tasks
from app.connections.models import Connection, ImportJob, RefreshRun

pytestmark = pytest.mark.simulator(import_seconds=0.5)


@pytest.fixture(scope="module")
def celery_worker():
    """A real Celery worker thread of the project's app (shared: stopping one takes seconds)."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_worker__refresh_then_import_from_the_confirmation_page(
    simulator, celery_worker, boss_client, settings
):
    """Beat's refresh task fills our tables; the import POST runs on the worker until done."""
    settings.CONNECTIONS_IMPORT_POLL_FIRST = 0.1
    tasks.refresh_status.delay()
    _wait_for(RefreshRun.objects.exists)
    assert RefreshRun.objects.get().ok
    conn = Connection.objects.get()
    response = boss_client.post(reverse("connections:import", args=[conn.connection_id]))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("connections:import_job", args=[job.pk])
    _wait_for(lambda: not ImportJob.objects.get(pk=job.pk).is_active)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.reason
    assert {m.object_name for m in simulator.state.mappings()} >= {"Contact", "Account"}
    progress = boss_client.get(
        reverse("connections:import_job", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert progress.status_code == 286


def test_worker__recover_task_fails_an_expired_job(simulator, celery_worker, settings):
    """recover_imports on the worker fails a job that can no longer finish in time."""
    import datetime

    from django.utils import timezone

    settings.CONNECTIONS_IMPORT_TIMEOUT_SECONDS = 30
    tasks.refresh_status.delay()
    _wait_for(RefreshRun.objects.exists)
    job = ImportJob.objects.create(
        connection=Connection.objects.get(),
        document={"mappings": []},
    )
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    tasks.recover_imports.delay()
    _wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportJob.State.FAILED)


def test_worker__a_starting_worker_fetches_the_status_at_once(simulator, celery_worker):
    """worker_ready (sent when `celery worker` has started) enqueues a refresh: the pages have
    data without waiting for beat's first tick."""
    from celery.signals import worker_ready

    assert not RefreshRun.objects.exists()
    worker_ready.send(sender=None)
    _wait_for(RefreshRun.objects.exists)
    assert RefreshRun.objects.get().ok
    assert Connection.objects.get().connection_id == simulator.connection_id


def test_refresh_task__skips_while_another_refresh_runs(transactional_db):
    """A second refresh (beat and a starting worker at once) is skipped, not failed."""
    import psycopg
    from django.db import connection

    from app.connections import services
    from heroku_connect.test.simulator import dsn_from_settings_dict

    with psycopg.connect(dsn_from_settings_dict(connection.settings_dict)) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [services._REFRESH_LOCK_KEY])
        assert tasks.refresh_status.apply().get() is None
        other.execute("SELECT pg_advisory_unlock(%s)", [services._REFRESH_LOCK_KEY])
    assert not RefreshRun.objects.exists()
