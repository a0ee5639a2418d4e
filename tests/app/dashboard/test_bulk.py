"""Bulk retry / ignore jobs (app.dashboard.bulk): batches, exactly once, cancel, recovery."""

from __future__ import annotations

import datetime
import secrets

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from app.audit.models import AuditEntry
from app.dashboard import actions, bulk, filters
from app.dashboard.models import BulkActionJob
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

State = BulkActionJob.State
LOCK = "unable to obtain exclusive access to this record or 1 records: 0013000000AbCdE"


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("olivia")


@pytest.fixture(autouse=True)
def _small_batches(settings):
    settings.DASHBOARD_BULK_BATCH_SIZE = 3


def _start(user, action="ignore", params=None, *, count=None, algorithm=None, kind="filter"):
    params = params or {"source": "both"}
    selection = actions.selection_for(kind, params)
    plan = actions.plan_action(action, selection, algorithm=algorithm, look_up=False)
    return bulk.start_job(
        action=action,
        kind=kind,
        selection=selection,
        confirmed_count=plan.total if count is None else count,
        confirmation=secrets.token_hex(8),
        user=user,
        algorithm=algorithm,
    )


def _audit_events() -> list[tuple[str, str]]:
    return list(AuditEntry.objects.order_by("id").values_list("action", "outcome"))


@pytest.mark.django_db
def test_job__ignores_live_then_archived_rows_in_batches_exactly_once(user):
    """10 live and 4 archived FAILED rows, batches of 3: every one IGNORED once, the others
    untouched; 4 + 2 batches; started and finished audited."""
    live = [make_log() for _ in range(10)]
    archived = [make_log(model=TriggerLogArchive) for _ in range(4)]
    done = make_log(state="SUCCESS")
    job = _start(user)
    assert (job.state, job.confirmed_count) == (State.QUEUED, 14)
    assert job.live_high == done.pk
    job = bulk.run_to_end(job.pk)
    assert job.state == State.DONE
    assert (job.live_done, job.archive_done, job.batches) == (10, 4, 6)
    assert set(states().values()) == {"IGNORED", "SUCCESS"}
    assert states()[done.pk] == "SUCCESS"
    assert set(states(TriggerLogArchive).values()) == {"IGNORED"}
    assert len(live) + len(archived) == job.done
    assert _audit_events() == [("ignore-job.started", "ok"), ("ignore-job.finished", "ok")]
    finished = AuditEntry.objects.get(action="ignore-job.finished")
    assert finished.row_count == 14
    assert finished.selection["job"] == job.pk
    assert "live: 10, archived: 4" in finished.detail


@pytest.mark.django_db
def test_job__rows_added_after_the_confirmation_are_not_touched(user):
    """The job covers the ids that existed when it was requested."""
    before = [make_log() for _ in range(2)]
    job = _start(user)
    later = make_log()
    bulk.run_to_end(job.pk)
    assert [states()[log.pk] for log in before] == ["IGNORED", "IGNORED"]
    assert states()[later.pk] == "FAILED"


@pytest.mark.django_db
def test_job__only_the_selection_changes(user):
    """A group filter: only its rows change, batches bounded by FAILED rows of any kind."""
    group = [make_log(sf_message=LOCK) for _ in range(4)]
    others = [make_log(sf_message="Amount must be positive") for _ in range(5)]
    cause = actions.errors.classify(LOCK)
    key = actions.errors.group_key("account", cause.code, cause.normalised_message)
    job = bulk.run_to_end(_start(user, params={"group": key, "source": "both"}).pk)
    assert job.done == 4
    assert {states()[log.pk] for log in group} == {"IGNORED"}
    assert {states()[log.pk] for log in others} == {"FAILED"}


@pytest.mark.django_db
@pytest.mark.parametrize("ordered", [False, True])
def test_job__retry_with_the_jobs_write_algorithm(user, ordered):
    """Retries use the algorithm stored in the job: merged (NEW) or ordered (re-captured)."""
    account = make_account(name="Acme")
    logs = [make_log(record_id=account.pk) for _ in range(4)]
    algorithm = WriteAlgorithm.ORDERED_WRITES if ordered else WriteAlgorithm.MERGE_WRITES
    job = bulk.run_to_end(_start(user, "retry", algorithm=algorithm).pk)
    assert (job.state, job.live_done) == (State.DONE, 4)
    if ordered:
        assert {states()[log.pk] for log in logs} == {"REQUEUED"}
        assert TriggerLog.objects.filter(state="NEW", record_id=account.pk).count() == 4
    else:
        assert {states()[log.pk] for log in logs} == {"NEW"}
    finished = AuditEntry.objects.get(action="retry-job.finished")
    assert ("ordered writes" if ordered else "merged writes") in finished.detail


@pytest.mark.django_db
def test_job__a_failing_batch_fails_the_job_and_keeps_the_batches_done(user):
    """Ordered writes on a table missing from the schema: the batch rolls back, the job fails
    with the reason, the batches before stay applied, the failure is audited."""
    account = make_account(name="Acme")
    first = [make_log(record_id=account.pk) for _ in range(3)]
    missing = make_log(table_name="gone_table")
    job = bulk.run_to_end(_start(user, "retry", algorithm=WriteAlgorithm.ORDERED_WRITES).pk)
    assert job.state == State.FAILED
    assert "gone_table" in job.reason
    assert (job.live_done, job.batches) == (3, 1)
    assert {states()[log.pk] for log in first} == {"REQUEUED"}
    assert states()[missing.pk] == "FAILED"
    assert _audit_events()[-1] == ("retry-job.failed", "error")


@pytest.mark.django_db
def test_cancel__a_running_job_stops_after_its_batch(user):
    """Cancel after one batch: the next step ends the job, the rest stays FAILED, audited with
    the user who cancelled."""
    logs = [make_log() for _ in range(7)]
    job = bulk.claim_job(_start(user).pk)
    assert bulk.process_batch(job)
    canceller = User.objects.create_user("carl")
    assert bulk.request_cancel(job.pk, user=canceller).state == State.RUNNING
    assert not bulk.process_batch(job)
    job.refresh_from_db()
    assert (job.state, job.done, job.batches) == (State.CANCELLED, 3, 1)
    assert [states()[log.pk] for log in logs].count("IGNORED") == 3
    entry = AuditEntry.objects.get(action="ignore-job.cancelled")
    assert (entry.username, entry.row_count) == ("carl", 3)


@pytest.mark.django_db
def test_cancel__a_queued_job_ends_at_once_and_is_never_run(user):
    log = make_log()
    job = _start(user)
    assert bulk.request_cancel(job.pk, user=user).state == State.CANCELLED
    assert bulk.claim_job(job.pk) is None
    assert states() == {log.pk: "FAILED"}
    assert _audit_events() == [("ignore-job.started", "ok"), ("ignore-job.cancelled", "ok")]


@pytest.mark.django_db
def test_claim__a_run_taken_over_changes_nothing(user, settings):
    """After the recovery re-claims a job (stale heartbeat), the old run's next batch is refused
    and the new run continues where the last committed batch ended."""
    logs = [make_log() for _ in range(6)]
    old = bulk.claim_job(_start(user).pk)
    assert bulk.process_batch(old)
    assert bulk.claim_job(old.pk) is None  # heartbeat fresh: not claimable
    settings.DASHBOARD_BULK_STALE_SECONDS = 0
    new = bulk.claim_job(old.pk)
    assert new.attempt == old.attempt + 1
    assert not bulk.process_batch(old)  # fenced: nothing changed
    assert [states()[log.pk] for log in logs].count("IGNORED") == 3
    while bulk.process_batch(new):
        pass
    new.refresh_from_db()
    assert (new.state, new.done, new.batches) == (State.DONE, 6, 2)


@pytest.mark.django_db
def test_recover__re_enqueues_stale_jobs_only(user, settings):
    make_log()
    fresh = _start(user)
    stale = _start(user)
    old = timezone.now() - datetime.timedelta(minutes=10)
    BulkActionJob.objects.filter(pk=stale.pk).update(created_at=old)
    enqueued: list[int] = []
    assert bulk.recover_jobs(enqueue=enqueued.append) == 1
    assert enqueued == [stale.pk]
    BulkActionJob.objects.filter(pk=fresh.pk).update(state=State.DONE)
    BulkActionJob.objects.filter(pk=stale.pk).update(heartbeat_at=old, state=State.RUNNING)
    enqueued.clear()
    bulk.recover_jobs(enqueue=enqueued.append)
    assert enqueued == [stale.pk]


@pytest.mark.django_db
def test_claim__too_many_runs_fail_the_job(user, settings):
    """A job that keeps losing its worker fails after DASHBOARD_BULK_MAX_ATTEMPTS claims."""
    make_log()
    settings.DASHBOARD_BULK_MAX_ATTEMPTS = 2
    settings.DASHBOARD_BULK_STALE_SECONDS = 0
    job = _start(user)
    assert bulk.claim_job(job.pk) is not None
    assert bulk.claim_job(job.pk) is not None
    assert bulk.claim_job(job.pk) is None
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert "Abandoned" in job.reason
    assert _audit_events()[-1] == ("ignore-job.failed", "error")


@pytest.mark.django_db
def test_start__one_job_per_confirmation(user):
    """The same confirmation (a double click) starts one job."""
    make_log()
    selection = filters.selection_from_params({"source": "both"})
    fields = {
        "action": "ignore",
        "kind": "filter",
        "selection": selection,
        "confirmed_count": 1,
        "confirmation": "nonce-1",
        "user": user,
        "algorithm": None,
    }
    job = bulk.start_job(**fields)
    with pytest.raises(bulk.JobAlreadyStarted) as again:
        bulk.start_job(**fields)
    assert again.value.job == job
    assert BulkActionJob.objects.count() == 1


def test_next_batch__consecutive_ids_from_the_next_row(db):
    """A batch spans ``size`` ids from the next existing row (gaps skipped), up to the high id."""
    rows = [make_log(state="FAILED" if n % 2 else "SUCCESS") for n in range(6)]
    ids = [log.pk for log in rows]
    high = ids[-1]
    assert bulk.next_batch(TriggerLog, after=0, high=high, size=4) == (ids[0] - 1, ids[3])
    assert bulk.next_batch(TriggerLog, after=ids[3], high=high, size=4) == (ids[4] - 1, high)
    assert bulk.next_batch(TriggerLog, after=high, high=high, size=4) is None
    TriggerLog.objects.filter(pk__in=ids[1:5]).delete()  # a gap: the next batch starts after it
    assert bulk.next_batch(TriggerLog, after=ids[0], high=high, size=2) == (high - 1, high)
