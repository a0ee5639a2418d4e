"""Celery tasks (thin callers of services): status refresh, imports, recovery of imports."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="connections.refresh_status", ignore_result=True)
def refresh_status() -> int:
    """Beat task: refresh connections, mappings, notifications and exports from the API."""
    with services.make_client() as client:
        return services.refresh_status(client=client).pk


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
