"""Import helpers shared by the reliability tests."""

from __future__ import annotations

from typing import Any

from app.connections.models import ImportJob
from heroku_connect.simulator.control import ControlClient
from tests.reliability.processes import Stack, beat


def run_recovery_until_finished(stack: Stack, job: ImportJob, *, timeout: float) -> ImportJob:
    """Send the recovery task every second (as beat does) until ``job`` is done or failed."""
    return beat(
        stack,
        "connections.recover_imports",
        until=lambda: ImportJob.objects.filter(pk=job.pk, state__in=job.FINISHED_STATES).first(),
        every=1.0,
        timeout=timeout,
    )


def import_posts(simulator: Any, control: ControlClient) -> int:
    """How many import POSTs the simulator received since its counts were reset."""
    path = f"POST /api/v3/connections/{simulator.connection_id}/actions/import"
    return control.request_counts().get(path, 0)
