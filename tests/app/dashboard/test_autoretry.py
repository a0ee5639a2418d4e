"""Auto-retry of transient failures: the service, the policy and the Celery beat task."""

from __future__ import annotations

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from app.audit.models import AuditEntry, AutoRetryAttempt, AutoRetryPolicy
from app.celery import app as celery_app
from app.dashboard import autoretry, errors, tasks
from app.dashboard.actions import WriteAlgorithmUnavailable
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.app.dashboard.connect_api import (
    removing_new_connect_rows,
    serve_connections,
    unreachable_api,
)
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

LOCK = "unable to obtain exclusive access to this record or 1 records: 0013000000AbCdE"
VALIDATION = "Amount must be positive"
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def connect_api():
    with serve_connections() as state:
        yield state


@pytest.fixture
def policy(db) -> AutoRetryPolicy:
    policy = AutoRetryPolicy.current()
    policy.enabled = True
    policy.save()
    return policy


def _fail_again(*logs) -> None:
    """What Heroku Connect does when the retried write fails again."""
    for log in logs:
        type(log).objects.filter(pk=log.pk).update(state="FAILED")


def _runs() -> list[tuple[int, str]]:
    return list(
        AuditEntry.objects.filter(action="autoretry")
        .order_by("id")
        .values_list("row_count", "outcome")
    )


# --- the policy -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_policy__defaults():
    """Disabled, UNABLE_TO_LOCK_ROW, 3 attempts, 5 minutes doubling, failures of the last day."""
    policy = AutoRetryPolicy.current()
    assert (policy.enabled, policy.codes, policy.max_attempts, policy.backoff_minutes) == (
        False,
        ["UNABLE_TO_LOCK_ROW"],
        3,
        5,
    )
    assert policy.max_age_hours == 24
    assert AutoRetryPolicy.current().pk == policy.pk


@pytest.mark.django_db
def test_update_policy__saves_and_records_who_changed_it():
    """Changing the policy is an audited operator action."""
    user = User.objects.create_user("olivia")
    autoretry.update_policy(
        user=user,
        enabled=True,
        codes=["UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"],
        max_attempts=5,
        backoff_minutes=2,
        max_age_hours=6,
    )
    policy = AutoRetryPolicy.current()
    assert (policy.enabled, policy.max_attempts, policy.updated_by) == (True, 5, user)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.user) == ("autoretry-policy", user)
    assert entry.selection["codes"] == ["UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"]


@pytest.mark.django_db
def test_update_policy__unknown_code_changes_nothing():
    """Only known transient codes can be chosen."""
    with pytest.raises(ValueError, match="FIELD_CUSTOM_VALIDATION_EXCEPTION"):
        autoretry.update_policy(
            user=None,
            enabled=True,
            codes=["FIELD_CUSTOM_VALIDATION_EXCEPTION"],
            max_attempts=3,
            backoff_minutes=5,
            max_age_hours=24,
        )
    assert not AutoRetryPolicy.current().enabled
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("UNABLE_TO_LOCK_ROW", LOCK),
        ("UNABLE_TO_LOCK_ROW", "Unable to obtain exclusive access to this record"),
        ("UNABLE_TO_LOCK_ROW", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"),
        ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    ],
)
def test_patterns__agree_with_the_error_classification(code, message):
    """The SQL patterns match exactly the messages errors.classify gives the code."""
    assert errors.classify(message).code == code
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s ILIKE ANY(%s)", [message, autoretry.patterns_for([code])])
        assert cursor.fetchone()[0] is True
        for other in (VALIDATION, "entity is deleted", "storage limit exceeded", None):
            cursor.execute("SELECT %s ILIKE ANY(%s)", [other, autoretry.patterns_for([code])])
            assert not cursor.fetchone()[0]


# --- a run ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run__disabled_policy_does_nothing(connect_api):
    """A disabled policy: no retry, no API call, no audit entry."""
    log = make_log(sf_message=LOCK)
    assert autoretry.run_autoretry() is None
    assert states() == {log.pk: "FAILED"}
    assert not connect_api.requests
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_run__retries_only_recent_failed_transient_errors(policy, connect_api):
    """FAILED rows with a transient message, live and archived, captured recently; nothing else."""
    lock_live = make_log(sf_message=LOCK, record_id=1)
    lock_archived = make_log(model=TriggerLogArchive, sf_message=LOCK, record_id=2)
    validation = make_log(sf_message=VALIDATION, record_id=3)
    old = make_log(
        sf_message=LOCK, record_id=4, created_at=timezone.now() - datetime.timedelta(days=2)
    )
    pending = make_log(sf_message=LOCK, record_id=5, state="PENDING")

    run = autoretry.run_autoretry()

    assert (run.eligible, run.live, run.archive) == (2, 1, 1)
    live = states()
    assert [live.pop(log.pk) for log in (lock_live, validation, old, pending)] == [
        "NEW",
        "FAILED",
        "FAILED",
        "PENDING",
    ]
    assert list(live.values()) == ["NEW"]  # the archived row, copied back
    assert states(TriggerLogArchive)[lock_archived.pk] == "REQUEUED"
    assert _runs() == [(2, "ok")]
    attempts = {(a.table_name, a.record_id): a.attempts for a in AutoRetryAttempt.objects.all()}
    assert attempts == {("account", 1): 1, ("account", 2): 1}
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username) == (None, "system")
    assert "merged writes" in entry.detail


@pytest.mark.django_db
def test_run__backoff_doubles_and_attempts_are_capped(policy, connect_api):
    """5 min after the 1st attempt, 10 after the 2nd, then never (3 attempts); runs audited."""
    log = make_log(sf_message=LOCK)
    start = timezone.now()

    def run_at(minutes: float) -> int:
        return autoretry.run_autoretry(now=start + minutes * MINUTE).retried

    assert run_at(0) == 1
    _fail_again(log)
    assert run_at(4) == 0  # backoff 5 min
    assert run_at(5) == 1
    _fail_again(log)
    assert run_at(14) == 0  # backoff 10 min
    assert run_at(15.5) == 1
    _fail_again(log)
    assert run_at(60) == 0  # 3 attempts made
    assert run_at(600) == 0
    assert states() == {log.pk: "FAILED"}
    assert AutoRetryAttempt.objects.get().attempts == 3
    assert [count for count, _ in _runs()] == [1, 0, 1, 0, 1, 0, 0]  # every run recorded


@pytest.mark.django_db
def test_run__ordered_writes_count_attempts_per_record(policy, connect_api):
    """Under ordered writes a retry re-captures the change as a NEW row with a new id; that row
    failing again still counts against the record's attempts."""
    connect_api.ordered = [True]
    policy.max_attempts = 2
    policy.save()
    account = make_account(name="Locked")
    log = make_log(sf_message=LOCK, record_id=account.id)
    start = timezone.now()

    assert autoretry.run_autoretry(now=start).live == 1
    assert states()[log.pk] == "REQUEUED"
    recaptured = TriggerLog.objects.get(record_id=account.id, state="NEW")
    TriggerLog.objects.filter(pk=recaptured.pk).update(state="FAILED", sf_message=LOCK)

    assert autoretry.run_autoretry(now=start + 5 * MINUTE).live == 1
    again = TriggerLog.objects.get(record_id=account.id, state="NEW")
    TriggerLog.objects.filter(pk=again.pk).update(state="FAILED", sf_message=LOCK)

    assert autoretry.run_autoretry(now=start + 60 * MINUTE).retried == 0
    attempt = AutoRetryAttempt.objects.get()
    assert (attempt.attempts, attempt.last_log_id) == (2, recaptured.pk)


@pytest.mark.django_db
def test_run__old_attempts_are_forgotten(policy, connect_api):
    """Attempt rows older than the policy's window plus a day are deleted."""
    make_log(sf_message=LOCK)
    start = timezone.now()
    autoretry.run_autoretry(now=start)
    assert AutoRetryAttempt.objects.count() == 1
    autoretry.run_autoretry(now=start + datetime.timedelta(hours=24 + 24, minutes=1))
    assert not AutoRetryAttempt.objects.exists()


@pytest.mark.django_db
def test_run__api_unreachable_is_recorded_and_changes_nothing(policy):
    """The write algorithm cannot be read: an error entry, rows untouched, no attempt counted."""
    log = make_log(sf_message=LOCK)
    with unreachable_api(token="secret-test-token"), pytest.raises(WriteAlgorithmUnavailable):
        autoretry.run_autoretry()
    assert states() == {log.pk: "FAILED"}
    assert not AutoRetryAttempt.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.username) == ("autoretry", "error", "system")
    assert "secret-test-token" not in entry.detail


# --- the Celery task ------------------------------------------------------------------------


def _wait_for_runs(count: int, timeout: float = 20.0) -> None:
    """Wait until the worker has recorded ``count`` auto-retry runs (results are ignored)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if AuditEntry.objects.filter(action="autoretry").count() >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the worker did not record {count} auto-retry runs in {timeout} s")


@pytest.fixture
def celery_worker():
    """A real Celery worker on the in-memory broker of the test settings."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.fixture
def clean_connect_rows():
    with removing_new_connect_rows():
        yield


def test_beat_schedule__runs_the_task_every_minute(settings):
    """The beat schedule names the registered task."""
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-autoretry"]
    assert entry["task"] == "dashboard.autoretry" == tasks.autoretry.name
    assert entry["schedule"] == datetime.timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_task__a_real_worker_retries_and_records_the_run(
    clean_connect_rows, connect_api, celery_worker
):
    """The beat task, run by a real worker, retries the transient failures and audits it."""
    policy = AutoRetryPolicy.current()
    policy.enabled = True
    policy.save()
    log = make_log(sf_message=LOCK)
    other = make_log(sf_message=VALIDATION)

    tasks.autoretry.delay()
    _wait_for_runs(1)

    assert states()[log.pk] == "NEW"
    assert states()[other.pk] == "FAILED"
    assert _runs() == [(1, "ok")]
    tasks.autoretry.delay()
    _wait_for_runs(2)
    assert _runs() == [(1, "ok"), (0, "ok")]  # backoff: nothing due, the run still recorded
