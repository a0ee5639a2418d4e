"""Celery tasks of the dashboard: thin callers of the services."""

from __future__ import annotations

from celery import shared_task

from app.dashboard import bulk
from app.dashboard.autoretry import run_autoretry


@shared_task(name="dashboard.autoretry", ignore_result=True)
def autoretry() -> int:
    """One auto-retry run (beat, every minute); returns how many rows were retried.

    Not retried by Celery on failure: the run is recorded as an error in the audit trail and the
    next beat tick tries again, with the backoff kept in our own table.
    """
    run = run_autoretry()
    return run.retried if run is not None else 0


@shared_task(name="dashboard.run_bulk_job", ignore_result=True, acks_late=True)
def run_bulk_job(job_id: int, attempt: int | None = None) -> str | None:
    """Run a bulk retry / ignore job for a slice of time, then re-enqueue the rest.

    Without ``attempt`` it claims the job (first run, or recovery of an abandoned one); with it,
    it continues that claim's run and stops if another run has taken the job over.
    """
    job = bulk.claim_job(job_id) if attempt is None else bulk.continue_job(job_id, attempt)
    if job is None:
        return None
    if bulk.run_slice(job, seconds=bulk.slice_seconds()):
        run_bulk_job.apply_async((job_id, job.attempt))
    return job.state


@shared_task(name="dashboard.recover_bulk_jobs", ignore_result=True)
def recover_bulk_jobs() -> int:
    """Beat task: re-enqueue bulk jobs whose worker died (stale heartbeat)."""
    return bulk.recover_jobs(enqueue=run_bulk_job.delay)
