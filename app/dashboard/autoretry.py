"""Automatic retry of transient write failures (the Celery beat task ``dashboard.autoretry``).

One run, set-based: pick the FAILED rows (live and archived) whose Salesforce message is one of
the policy's transient errors, captured within ``max_age_hours``, whose record has been retried
fewer than ``max_attempts`` times and whose backoff has elapsed; retry them through
:func:`heroku_connect.trigger_log.retry_failed`; count one attempt per record in our own table
(:class:`~app.audit.models.AutoRetryAttempt`); record the run in the audit trail, even when
nothing was eligible. The write algorithm is looked up before the transaction; concurrent runs
are serialised on the policy row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from app.audit.models import AuditEntry, AutoRetryAttempt, AutoRetryPolicy, Outcome
from app.audit.services import record_action
from app.dashboard.actions import (
    WriteAlgorithmUnavailable,
    algorithm_label,
    error_message,
    lookup_write_algorithm,
)
from heroku_connect import trigger_log
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm

AUDIT_ACTION = "autoretry"
POLICY_AUDIT_ACTION = "autoretry-policy"

#: Transient Salesforce errors auto-retry may handle, with the ``ILIKE`` patterns that recognise
#: their ``sf_message`` (Heroku Connect stores the message text; some tools prefix the code).
#: They match what ``app.dashboard.errors.classify`` recognises (tested), but run set-based.
TRANSIENT_CODES: dict[str, tuple[str, ...]] = {
    "UNABLE_TO_LOCK_ROW": ("%unable to obtain exclusive access%", "UNABLE\\_TO\\_LOCK\\_ROW%"),
    "REQUEST_LIMIT_EXCEEDED": (
        "%totalrequests limit exceeded%",
        "%request limit exceeded%",
        "REQUEST\\_LIMIT\\_EXCEEDED%",
    ),
}

#: Most rows one run retries; the rest waits for the next run.
BATCH_SIZE = 50_000

#: Attempts are forgotten this long after the policy's ``max_age_hours`` has passed since the
#: last one: by then no row they counted for can be eligible again, and a record failing anew
#: later starts from zero.
ATTEMPT_RETENTION_MARGIN = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class AutoRetryRun:
    eligible: int
    live: int
    archive: int
    algorithm: WriteAlgorithm | None

    @property
    def retried(self) -> int:
        return self.live + self.archive


def patterns_for(codes: list[str]) -> list[str]:
    """The ``ILIKE`` patterns of ``codes`` (unknown codes raise ``ValueError``)."""
    unknown = sorted(set(codes) - set(TRANSIENT_CODES))
    if unknown:
        raise ValueError(f"Not a transient error auto-retry knows: {', '.join(unknown)}.")
    return [pattern for code in codes for pattern in TRANSIENT_CODES[code]]


def update_policy(
    *,
    user: object,
    enabled: bool,
    codes: list[str],
    max_attempts: int,
    backoff_minutes: int,
    max_age_hours: int,
) -> AutoRetryPolicy:
    """Change the policy (validated by the caller's form) and record the change."""
    patterns_for(codes)
    with transaction.atomic():
        policy = AutoRetryPolicy.objects.select_for_update().get(pk=AutoRetryPolicy.current().pk)
        policy.enabled = enabled
        policy.codes = list(codes)
        policy.max_attempts = max_attempts
        policy.backoff_minutes = backoff_minutes
        policy.max_age_hours = max_age_hours
        policy.updated_by = user if getattr(user, "is_authenticated", False) else None
        policy.save()
        record_action(
            user=user,
            action=POLICY_AUDIT_ACTION,
            target=str(policy),
            selection=policy_params(policy),
            detail=f"backoff {backoff_minutes} min doubling, failures of the last "
            f"{max_age_hours} h",
        )
    return policy


def policy_params(policy: AutoRetryPolicy) -> dict:
    return {
        "enabled": policy.enabled,
        "codes": list(policy.codes),
        "max_attempts": policy.max_attempts,
        "backoff_minutes": policy.backoff_minutes,
        "max_age_hours": policy.max_age_hours,
    }


def run_autoretry(*, now: datetime.datetime | None = None) -> AutoRetryRun | None:
    """One auto-retry run; ``None`` when the policy is disabled (nothing recorded then).

    Failures (the write-algorithm lookup, the database) are recorded as an audit entry with
    outcome ``error`` and re-raised, with nothing changed.
    """
    policy = AutoRetryPolicy.current()
    if not policy.enabled:
        return None
    params = policy_params(policy)
    target = f"transient errors {', '.join(policy.codes)}"
    try:
        algorithm = lookup_write_algorithm()  # before any lock
        with transaction.atomic():
            policy = AutoRetryPolicy.objects.select_for_update().get(pk=policy.pk)
            if not policy.enabled:  # disabled while we were looking the algorithm up
                return None
            now = now or timezone.now()
            result = _retry_eligible(policy, algorithm, now)
            record_action(
                user=None,
                action=AUDIT_ACTION,
                target=target,
                selection=params,
                row_count=result.retried,
                detail=(
                    f"eligible: {result.eligible:,}, retried live: {result.live:,}, archived: "
                    f"{result.archive:,}; {algorithm_label(algorithm)}"
                ),
            )
    except Exception as error:
        detail = error_message(error)
        if not isinstance(error, WriteAlgorithmUnavailable):
            detail = f"Nothing changed: {detail}"
        record_action(
            user=None,
            action=AUDIT_ACTION,
            target=target,
            selection=params,
            outcome=Outcome.ERROR,
            detail=detail,
        )
        raise
    return result


def _eligible(source: type, policy: AutoRetryPolicy, now: datetime.datetime) -> list[tuple]:
    """``(id, table_name, record_id)`` of the rows of ``source`` due for an automatic retry."""
    table = connection.ops.quote_name(source._meta.db_table)
    attempts = connection.ops.quote_name(AutoRetryAttempt._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT l.id, l.table_name, l.record_id
            FROM {table} l
            LEFT JOIN {attempts} a
                   ON a.table_name = l.table_name AND a.record_id = l.record_id
            WHERE l.state = 'FAILED'
              AND l.created_at >= %s
              AND l.sf_message ILIKE ANY(%s)
              AND (a.id IS NULL OR (a.attempts < %s AND a.next_attempt_at <= %s))
            ORDER BY l.id
            LIMIT %s
            """,
            [
                now - datetime.timedelta(hours=policy.max_age_hours),
                patterns_for(policy.codes),
                policy.max_attempts,
                now,
                BATCH_SIZE,
            ],
        )
        return cursor.fetchall()


def _retry_eligible(
    policy: AutoRetryPolicy, algorithm: WriteAlgorithm, now: datetime.datetime
) -> AutoRetryRun:
    live_rows = _eligible(TriggerLog, policy, now)
    archive_rows = _eligible(TriggerLogArchive, policy, now)
    live = trigger_log.retry_failed(
        TriggerLog.objects.filter(pk__in=[row[0] for row in live_rows]), write_algorithm=algorithm
    )
    archive = trigger_log.retry_failed(
        TriggerLogArchive.objects.filter(pk__in=[row[0] for row in archive_rows]),
        write_algorithm=algorithm,
    )
    _count_attempts(live_rows + archive_rows, policy, now)
    _forget_old_attempts(policy, now)
    return AutoRetryRun(len(live_rows) + len(archive_rows), live, archive, algorithm)


def _count_attempts(rows: list[tuple], policy: AutoRetryPolicy, now: datetime.datetime) -> None:
    """One attempt more per record (several rows of one record count once), with the backoff:
    the n-th attempt may be followed by the next after ``backoff_minutes * 2**(n-1)``."""
    if not rows:
        return
    last_log = {}
    for log_id, table_name, record_id in rows:
        last_log[(table_name, record_id)] = max(log_id, last_log.get((table_name, record_id), 0))
    tables = [key[0] for key in last_log]
    records = [key[1] for key in last_log]
    log_ids = list(last_log.values())
    attempts = connection.ops.quote_name(AutoRetryAttempt._meta.db_table)
    backoff = datetime.timedelta(minutes=policy.backoff_minutes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {attempts} AS a (table_name, record_id, attempts, first_attempt_at,
                                         last_attempt_at, next_attempt_at, last_log_id)
            SELECT t, r, 1, %s, %s, %s, l
            FROM unnest(%s::varchar[], %s::bigint[], %s::bigint[]) AS u(t, r, l)
            ON CONFLICT (table_name, record_id) DO UPDATE
               SET attempts = a.attempts + 1,
                   last_attempt_at = EXCLUDED.last_attempt_at,
                   next_attempt_at = EXCLUDED.last_attempt_at
                                     + %s * power(2, a.attempts)::integer,
                   last_log_id = EXCLUDED.last_log_id
            """,
            [now, now, now + backoff, tables, records, log_ids, backoff],
        )


def _forget_old_attempts(policy: AutoRetryPolicy, now: datetime.datetime) -> None:
    horizon = now - datetime.timedelta(hours=policy.max_age_hours) - ATTEMPT_RETENTION_MARGIN
    AutoRetryAttempt.objects.filter(last_attempt_at__lt=horizon).delete()


def recent_runs(limit: int = 10) -> list[AuditEntry]:
    """The last auto-retry runs, for the policy page."""
    return list(AuditEntry.objects.filter(action=AUDIT_ACTION).order_by("-created_at")[:limit])
