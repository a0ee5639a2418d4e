"""Celery tasks of the dashboard: thin callers of the services."""

from __future__ import annotations

from celery import shared_task

from app.dashboard.autoretry import run_autoretry


@shared_task(name="dashboard.autoretry", ignore_result=True)
def autoretry() -> int:
    """One auto-retry run (beat, every minute); returns how many rows were retried.

    Not retried by Celery on failure: the run is recorded as an error in the audit trail and the
    next beat tick tries again, with the backoff kept in our own table.
    """
    run = run_autoretry()
    return run.retried if run is not None else 0
