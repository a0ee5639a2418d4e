"""Redis (the Celery broker and the cache) down while an operator requests an import on the
real web process: the request is answered, the job is kept, and once Redis is back the worker
runs it, once."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from app.connections import services
from app.connections.models import Connection, ImportJob
from heroku_connect.simulator.control import ControlClient
from tests.reliability.imports import import_posts, run_recovery_until_finished
from tests.reliability.operators import Operator

pytestmark = [pytest.mark.slow, pytest.mark.simulator(import_seconds=0.3)]

PASSWORD = "reliability-pw-2"
RECOVERY_LIMIT = 60


def test_redis_down__import_request_kept_and_run_once_redis_is_back(
    simulator, stack, private_redis
):
    services.refresh_status(client=services.make_client())
    conn = Connection.objects.get()
    admin = User.objects.create_user("ada", password=PASSWORD)
    admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="dashboard", codename__in=("view_dashboard", "manage_mappings")
        )
    )
    _web, url = stack.web()
    stack.worker()
    operator = Operator(url, "ada", PASSWORD)
    confirm = operator.get(reverse("connections:import", args=[conn.connection_id]))
    action, data = operator.form(confirm, own_url=True)

    private_redis.stop()
    answer = operator.post(action, data)
    assert answer.status_code == 200, answer.text[:2000]  # the job page, not an error
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.QUEUED  # kept, waiting for a worker
    assert operator.get(reverse("connections:status")).status_code == 200

    private_redis.start()
    restarted = time.monotonic()
    control = ControlClient(simulator.base_url)
    control.reset_request_counts()
    done = run_recovery_until_finished(stack, job, timeout=RECOVERY_LIMIT)
    recovery = time.monotonic() - restarted
    print(f"\nRedis down: import finished {recovery:.1f} s after Redis came back")
    assert done.state == ImportJob.State.DONE, done.reason
    assert import_posts(simulator, control) == 1
    assert recovery < RECOVERY_LIMIT
