"""Celery tasks (thin callers of services): status refresh, imports, recovery of imports."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="connections.refresh_status", ignore_result=True)
def refresh_status() -> int | None:
    """Beat task: refresh connections, mappings, notifications and exports from the API.

    Returns the run's id, or None when another refresh was running (nothing to add).
    """
    with services.make_client() as client:
        try:
            return services.refresh_status(client=client).pk
        except services.RefreshAlreadyRunning:
            logger.info("Status refresh skipped: another refresh is running.")
            return None


@worker_ready.connect
def refresh_when_a_worker_starts(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts fetches the status at once, instead of at beat's first tick a minute
    later: the pages of a fresh deploy (or ``make demo``) show data within seconds."""
    try:
        refresh_status.delay()
    except Exception:  # the broker is down: beat's schedule catches up
        logger.exception("Could not enqueue the start-up status refresh")


@shared_task(name="connections.run_import", ignore_result=True, acks_late=True)
def run_import(job_id: int, attempt: int | None = None) -> str | None:
    """One step of an import (upload, or one poll); re-enqueues itself with the backoff.

    Without ``attempt`` it claims the job (first run, or recovery of an abandoned one); with
    it, it continues that claim's run and stops if another run has taken the job over. The
    worker never sleeps, so a long import does not block the status refresh.
    """
    job = services.claim_job(job_id) if attempt is None else services.continue_job(job_id, attempt)
    if job is None:
        return None
    with services.make_client() as client:
        delay = services.import_step(job, client=client)
    if delay is not None:
        run_import.apply_async((job_id, job.attempt), countdown=delay)
    return job.state


@shared_task(name="connections.recover_imports", ignore_result=True)
def recover_imports() -> dict[str, int]:
    """Beat task: re-enqueue abandoned imports, fail those past the overall timeout."""
    return services.recover_imports(enqueue=run_import.delay)
