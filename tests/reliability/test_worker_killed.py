"""A Celery worker killed in the middle of an import: recovery finishes it, and Heroku Connect
receives the import exactly once."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from app.connections import services
from app.connections.models import Connection, ImportJob
from heroku_connect.mapping import get_mapping
from heroku_connect.simulator.control import ControlClient
from tests.reliability.imports import import_posts, run_recovery_until_finished
from tests.reliability.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.simulator(import_seconds=0.5)]

#: Generous upper bound for the recovery (stale limit 3 s here, beat every second).
RECOVERY_LIMIT = 45


def test_worker_killed_between_upload_started_and_recorded__posted_once(simulator, stack):
    """The worker records "upload started", sends the import (the API is slow to answer), and
    is killed before it can record "uploaded". The next worker, run by the recovery task,
    asks the API, finds the import there, and only waits for it: one POST in all."""
    services.refresh_status(client=services.make_client())
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    worker = stack.worker()  # after its start-up status refresh
    control = ControlClient(simulator.base_url)
    control.reset_request_counts()
    control.set_faults(latency=3, times=1)  # the run's first API call is the upload: slow

    stack.send("connections.run_import", job.pk)
    wait_until(lambda: import_posts(simulator, control), timeout=30, what="the upload was sent")
    job.refresh_from_db()
    assert job.upload_started_at is not None
    assert job.uploaded_at is None  # killed between the two records
    worker.kill()
    killed = time.monotonic()

    stack.worker()
    done = run_recovery_until_finished(stack, job, timeout=RECOVERY_LIMIT)
    recovery = time.monotonic() - killed
    print(f"\nworker killed mid-upload: import finished {recovery:.1f} s later")
    assert done.state == ImportJob.State.DONE, done.reason
    assert done.attempt == 2  # taken over once
    assert done.uploaded_at >= done.upload_started_at
    assert import_posts(simulator, control) == 1
    assert {m.object_name for m in simulator.state.mappings()} >= {"Account", "Contact"}
    assert done.finished_at <= timezone.now()
    assert recovery < RECOVERY_LIMIT
