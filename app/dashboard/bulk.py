"""Retry / ignore of large selections as a Celery job: batches, progress, cancel, recovery.

A confirmed selection of at least ``DASHBOARD_BULK_JOB_THRESHOLD`` FAILED rows is not changed
inside the web request (which PostgreSQL's web ``statement_timeout`` bounds): the request
creates a :class:`~app.dashboard.models.BulkActionJob` and the ``dashboard.run_bulk_job`` task
works through it in batches.

* **Set-based batches, keyset by id.** A batch covers ``batch_size`` consecutive ids from the
  next existing row after the job's cursor (one primary-key probe; gaps cost nothing), and
  changes the selection's FAILED rows in that range with one statement of
  :mod:`heroku_connect.trigger_log` (rows locked and re-checked, as for every retry / ignore).
* **All-or-nothing, exactly once.** The batch, the cursor, the counts and (at the end) the audit
  entry are one transaction that first locks the job row and checks the run's claim
  (``attempt``): a killed worker leaves the batch unapplied and the cursor where it was, and a
  run whose claim was taken over cannot write anything.
* **Recovered by beat.** ``dashboard.recover_bulk_jobs`` re-enqueues jobs whose heartbeat went
  stale; the new run claims the job (``attempt + 1``) and continues after the last committed
  batch. After ``DASHBOARD_BULK_MAX_ATTEMPTS`` claims the job fails instead of looping.
* **Stoppable.** A cancel request is seen before the next batch; the job ends ``cancelled``
  with the batches already done kept (each of them complete) and says so.
* **Audited:** started (by the request), finished, cancelled, failed.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Min, Q, QuerySet
from django.utils import timezone

from app.audit.models import Outcome
from app.audit.services import record_action
from app.dashboard import actions
from app.dashboard.actions import ActionResult, SelectionLike
from app.dashboard.models import BulkActionJob
from heroku_connect import trigger_log
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm

logger = logging.getLogger(__name__)

State = BulkActionJob.State
#: The two trigger-log tables, in the order a job walks them.
PHASES: dict[str, type] = {"live": TriggerLog, "archive": TriggerLogArchive}


def job_threshold() -> int:
    """Selections with at least this many FAILED rows run as a job."""
    return int(settings.DASHBOARD_BULK_JOB_THRESHOLD)


def batch_size() -> int:
    return int(settings.DASHBOARD_BULK_BATCH_SIZE)


def slice_seconds() -> float:
    """How long one task run works before it re-enqueues itself (the worker stays shareable)."""
    return float(settings.DASHBOARD_BULK_SLICE_SECONDS)


def stale_after() -> datetime.timedelta:
    """An active job whose heartbeat is older than this was abandoned by its worker."""
    return datetime.timedelta(seconds=float(settings.DASHBOARD_BULK_STALE_SECONDS))


def max_attempts() -> int:
    return int(settings.DASHBOARD_BULK_MAX_ATTEMPTS)


def runs_as_job(count: int) -> bool:
    return count >= job_threshold()


class JobAlreadyStarted(Exception):
    """This confirmation has already started a job (e.g. a double click)."""

    def __init__(self, job: BulkActionJob) -> None:
        super().__init__(f"Job #{job.pk} was already started from this confirmation.")
        self.job = job


class _ClaimLost(Exception):
    """The job has ended, or another run has claimed it."""


# --- Requesting, cancelling --------------------------------------------------------------


def _highest_id(queryset: QuerySet, model: type) -> int:
    """The table's highest id if the selection reads that table at all (cheap: the pk index)."""
    if queryset.query.is_empty():
        return 0
    return model._default_manager.aggregate(high=Max("pk"))["high"] or 0


def start_job(
    *,
    action: str,
    kind: str,
    selection: SelectionLike,
    confirmed_count: int,
    confirmation: str,
    user: Any,
    algorithm: WriteAlgorithm | None,
    chosen: bool = False,
) -> BulkActionJob:
    """Create the job for a confirmed selection, audit its start, enqueue it after commit.

    The job covers the rows up to the highest ids now. :class:`JobAlreadyStarted` if this
    confirmation already started one.
    """
    if action not in actions.ACTIONS:
        raise actions.ActionInputError(f"Unknown action {action!r}.")
    if action == actions.RETRY and algorithm is None:
        raise ValueError("A retry job needs its write algorithm.")
    try:
        with transaction.atomic():
            job = BulkActionJob.objects.create(
                action=action,
                kind=kind,
                selection=selection.as_params(),
                description=selection.describe(),
                write_algorithm=algorithm.name if algorithm else "",
                algorithm_chosen=chosen,
                confirmed_count=confirmed_count,
                confirmation=confirmation,
                batch_size=batch_size(),
                live_high=_highest_id(selection.live, TriggerLog),
                archive_high=_highest_id(selection.archive, TriggerLogArchive),
                requested_by=user if getattr(user, "is_authenticated", False) else None,
            )
            _audit(
                job, "started", user=user, detail=f"Job #{job.pk}, batches of {job.batch_size:,}."
            )
            transaction.on_commit(lambda: _enqueue(job.pk))
    except IntegrityError:
        existing = BulkActionJob.objects.filter(confirmation=confirmation).first()
        if existing is None:
            raise
        raise JobAlreadyStarted(existing) from None
    return job


def _enqueue(job_id: int) -> None:
    from app.dashboard import tasks

    try:
        tasks.run_bulk_job.delay(job_id)
    except Exception:  # the broker is down: the recovery beat task enqueues it again
        logger.exception("Could not enqueue bulk job %s; the recovery task will retry", job_id)


def request_cancel(job_id: int, *, user: Any) -> BulkActionJob:
    """Ask the job to stop before its next batch (a queued job ends at once).

    Waits for a running batch to commit (it holds the job row), so the answer is exact.
    """
    with transaction.atomic():
        job = BulkActionJob.objects.select_for_update().get(pk=job_id)
        if not job.is_active:
            return job
        if job.cancel_requested_at is None:
            job.cancel_requested_at = timezone.now()
            job.cancel_requested_by = user
        if job.state == State.QUEUED:  # no run has claimed it: nothing was changed
            _finish(job, State.CANCELLED)
        else:
            job.save(update_fields=["cancel_requested_at", "cancel_requested_by"])
    return job


# --- Running -----------------------------------------------------------------------------


def claim_job(job_id: int) -> BulkActionJob | None:
    """Claim an active job without a fresh heartbeat (first run, or recovery); None if not
    claimable. A job claimed more than ``max_attempts()`` times fails instead."""
    now = timezone.now()
    claimable = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after())
    with transaction.atomic():
        claimed = (
            BulkActionJob.objects.filter(pk=job_id, state__in=BulkActionJob.ACTIVE_STATES)
            .filter(claimable)
            .update(attempt=F("attempt") + 1, heartbeat_at=now, state=State.RUNNING)
        )
        if not claimed:
            return None
        job = BulkActionJob.objects.select_for_update().get(pk=job_id)
        if job.attempt > max_attempts():
            _finish(
                job,
                State.FAILED,
                f"Abandoned: {max_attempts()} worker runs ended without finishing it; the "
                "batches done are kept.",
            )
            return None
        if job.started_at is None:
            job.started_at = now
            job.save(update_fields=["started_at"])
    return job


def continue_job(job_id: int, attempt: int) -> BulkActionJob | None:
    """The job for the next slice of the run holding claim ``attempt``; None if it ended or was
    taken over."""
    return BulkActionJob.objects.filter(pk=job_id, attempt=attempt, state=State.RUNNING).first()


def run_slice(job: BulkActionJob, *, seconds: float) -> bool:
    """Run batches for about ``seconds``; True if the job has more to do."""
    deadline = time.monotonic() + seconds
    while process_batch(job):
        if time.monotonic() >= deadline:
            return True
    return False


def run_to_end(job_id: int) -> BulkActionJob | None:
    """Claim a job and run it to its end in this thread (tests, bench, scripts)."""
    job = claim_job(job_id)
    if job is None:
        return None
    while process_batch(job):
        pass
    job.refresh_from_db()
    return job


def process_batch(job: BulkActionJob) -> bool:
    """One batch in one transaction (or the job's end); True if the job continues.

    A lost claim changes nothing. A database that went away is re-raised (the job stays
    active and the recovery resumes it); any other error fails the job with an operator-safe
    reason, keeping the batches already committed.
    """
    try:
        with transaction.atomic():
            current = _locked(job)
            if current.cancel_requested_at is not None:
                _finish(current, State.CANCELLED)
            elif (phase := _next_phase(current)) is None:
                _finish(current, State.DONE)
            else:
                _apply_batch(current, phase)
        _copy_progress(current, job)
        return current.is_active
    except _ClaimLost:
        return False
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        logger.warning("Bulk job %s failed: %s", job.pk, actions.error_message(error))
        _fail(job, error)
        return False


def _locked(job: BulkActionJob) -> BulkActionJob:
    """The job row, locked for this transaction, if this run still holds the claim."""
    current = (
        BulkActionJob.objects.select_for_update()
        .filter(pk=job.pk, attempt=job.attempt, state=State.RUNNING)
        .first()
    )
    if current is None:
        raise _ClaimLost
    return current


def _next_phase(job: BulkActionJob) -> str | None:
    return next((p for p in PHASES if _cursor(job, p) < _high(job, p)), None)


def _cursor(job: BulkActionJob, phase: str) -> int:
    return getattr(job, f"{phase}_cursor")


def _high(job: BulkActionJob, phase: str) -> int:
    return getattr(job, f"{phase}_high")


def next_batch(model: type, *, after: int, high: int, size: int) -> tuple[int, int] | None:
    """The id range ``(low, upper]`` of the next batch: ``size`` consecutive ids from the next
    existing row after ``after`` (so at most ``size`` rows, and gaps in the ids cost nothing);
    None when no row is left up to ``high``. One probe of the primary key index."""
    first = model._default_manager.filter(pk__gt=after, pk__lte=high).aggregate(first=Min("pk"))[
        "first"
    ]
    if first is None:
        return None
    return first - 1, min(first + size - 1, high)


def _apply_batch(job: BulkActionJob, phase: str) -> None:
    """Change the selection's FAILED rows of the next id range with one set-based statement of
    ``heroku_connect.trigger_log`` (rows locked and re-checked) and advance the cursor."""
    batch = next_batch(
        PHASES[phase], after=_cursor(job, phase), high=_high(job, phase), size=job.batch_size
    )
    fields = [f"{phase}_cursor", "heartbeat_at"]
    job.heartbeat_at = timezone.now()
    if batch is None:  # nothing left in this table
        setattr(job, f"{phase}_cursor", _high(job, phase))
        job.save(update_fields=fields)
        return
    low, upper = batch
    selection = actions.narrow_for_group(actions.selection_for(job.kind, job.selection))
    rows = getattr(selection, phase).filter(pk__gt=low, pk__lte=upper)
    if job.action == actions.RETRY:
        algorithm = WriteAlgorithm[job.write_algorithm]
        changed = trigger_log.retry_failed(rows, write_algorithm=algorithm)
    else:
        changed = trigger_log.ignore_failed(rows)
    setattr(job, f"{phase}_cursor", upper)
    setattr(job, f"{phase}_done", getattr(job, f"{phase}_done") + changed)
    job.batches += 1
    job.save(update_fields=[*fields, f"{phase}_done", "batches"])


#: What a run copies back after each batch; never ``attempt``, the run's own claim.
_PROGRESS_FIELDS = (
    "state",
    "live_cursor",
    "archive_cursor",
    "live_done",
    "archive_done",
    "batches",
    "heartbeat_at",
    "finished_at",
    "reason",
)


def _copy_progress(source: BulkActionJob, job: BulkActionJob) -> None:
    """The committed progress into the caller's object (its ``attempt`` stays its claim)."""
    for name in _PROGRESS_FIELDS:
        setattr(job, name, getattr(source, name))


def _finish(job: BulkActionJob, state: str, reason: str = "") -> None:
    """End the (locked) job and audit it, in the caller's transaction."""
    job.state = state
    job.reason = reason
    job.finished_at = job.heartbeat_at = timezone.now()
    job.save(update_fields=["state", "reason", "finished_at", "heartbeat_at"])
    event = {State.DONE: "finished", State.CANCELLED: "cancelled"}.get(state, "failed")
    user = job.cancel_requested_by if state == State.CANCELLED else job.requested_by
    _audit(
        job,
        event,
        user=user,
        outcome=Outcome.ERROR if state == State.FAILED else Outcome.OK,
        detail=_result_detail(job) + (f" {reason}" if reason else ""),
    )
    if job.done:
        transaction.on_commit(actions.refresh_stats_soon, robust=True)


def _fail(job: BulkActionJob, error: BaseException) -> None:
    try:
        with transaction.atomic():
            current = _locked(job)
            _finish(current, State.FAILED, f"Stopped: {actions.error_message(error)}")
        _copy_progress(current, job)
    except _ClaimLost:
        pass


def _result_detail(job: BulkActionJob) -> str:
    algorithm = WriteAlgorithm[job.write_algorithm] if job.write_algorithm else None
    result = ActionResult(job.action, job.live_done, job.archive_done, algorithm)
    text = actions.audit_detail(result, chosen=job.algorithm_chosen)
    return f"Job #{job.pk}: {text}; {job.batches:,} batches."


def _audit(
    job: BulkActionJob, event: str, *, user: Any, outcome: str = Outcome.OK, detail: str = ""
) -> None:
    record_action(
        user=user,
        action=f"{job.action}-job.{event}",
        target=job.description,
        selection={"job": job.pk, "kind": job.kind, **job.selection},
        row_count=job.done if event != "started" else job.confirmed_count,
        outcome=outcome,
        detail=detail,
    )


# --- Recovery ----------------------------------------------------------------------------


def recover_jobs(*, enqueue: Callable[[int], Any]) -> int:
    """Beat task body: re-enqueue active jobs whose heartbeat (or, never started, creation) is
    stale; the run they start claims the job. Returns how many were re-enqueued."""
    cutoff = timezone.now() - stale_after()
    stale = BulkActionJob.objects.filter(state__in=BulkActionJob.ACTIVE_STATES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True))
    for job_id in ids:
        enqueue(job_id)
    return len(ids)
