"""Celery tasks (thin callers of services): status refresh, imports, recovery of imports."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="connections.refresh_status", ignore_result=True)
def refresh_status() -> int:
    """Beat task: refresh connections, mappings, notifications and exports from the API."""
    try:
        client = services.make_client()
    except Exception as exc:  # e.g. the client cannot be built: record it for the banner
        from .errors import api_error_kind, describe_api_error
        from .models import RefreshRun

        return RefreshRun.objects.create(
            ok=False, error_kind=api_error_kind(exc), error_message=describe_api_error(exc)
        ).pk
    return services.refresh_status(client=client).pk


@shared_task(name="connections.run_import", ignore_result=True, acks_late=True)
def run_import(job_id: int) -> str | None:
    """Upload a job's mapping and wait until the connection has applied it."""
    job = services.run_import(job_id, client=services.make_client())
    return job.state if job is not None else None


@shared_task(name="connections.recover_imports", ignore_result=True)
def recover_imports() -> dict[str, int]:
    """Beat task: re-enqueue abandoned imports, fail those past the overall timeout."""
    return services.recover_imports(enqueue=run_import.delay)
