"""The trigger-log state transitions (heroku_connect.trigger_log) on the development schema."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from heroku_connect import trigger_log
from heroku_connect.hstore import hstore_text_to_dict
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm
from tests.concurrency import second_waits_for_first
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

MERGED = WriteAlgorithm.MERGE_WRITES
ORDERED = WriteAlgorithm.ORDERED_WRITES
LONG_AGO = timezone.now() - datetime.timedelta(days=3)


@pytest.fixture
def account(db):
    return make_account(name="Acme", phone="555-0100")


# --- retry_failed: live rows, merged writes ---------------------------------------------------


@pytest.mark.django_db
def test_retry_failed__live_merged_sets_failed_rows_new_and_touches_updated_at():
    """Under merged writes FAILED live rows become NEW with updated_at = now; nothing else moves."""
    failed = [make_log(updated_at=LONG_AGO) for _ in range(3)]
    success = make_log(state="SUCCESS", updated_at=LONG_AGO)
    before = TriggerLog.objects.count()

    count = trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm=MERGED)

    assert count == 3
    assert TriggerLog.objects.count() == before  # no new rows
    for log in failed:
        log.refresh_from_db()
        assert log.state == "NEW"
        assert log.updated_at > LONG_AGO
    success.refresh_from_db()
    assert (success.state, success.updated_at) == ("SUCCESS", LONG_AGO)


@pytest.mark.django_db
def test_retry_failed__only_the_selection_is_touched():
    """Rows outside the queryset stay FAILED."""
    chosen, other = make_log(), make_log()
    count = trigger_log.retry_failed(
        TriggerLog.objects.filter(pk=chosen.pk), write_algorithm=MERGED
    )
    assert count == 1
    assert states() == {chosen.pk: "NEW", other.pk: "FAILED"}


@pytest.mark.django_db
def test_retry_failed__sliced_and_empty_querysets():
    """A sliced queryset is honoured; an empty (.none()) one changes nothing and returns 0."""
    logs = [make_log() for _ in range(4)]
    assert (
        trigger_log.retry_failed(TriggerLog.objects.order_by("id")[:2], write_algorithm=MERGED) == 2
    )
    assert trigger_log.retry_failed(TriggerLog.objects.none(), write_algorithm=MERGED) == 0
    assert [states()[log.pk] for log in logs] == ["NEW", "NEW", "FAILED", "FAILED"]


@pytest.mark.django_db
def test_retry_failed__rejects_other_querysets_and_bad_write_algorithms():
    """Only trigger-log querysets and WriteAlgorithm values are accepted."""
    from app.salesforce.models import Account

    with pytest.raises(TypeError, match="TriggerLog or TriggerLogArchive"):
        trigger_log.retry_failed(Account.objects.all(), write_algorithm=MERGED)
    with pytest.raises(TypeError, match="WriteAlgorithm"):
        trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm="ordered")


# --- retry_failed: live rows, ordered writes --------------------------------------------------


@pytest.mark.django_db
def test_retry_failed__live_ordered_recaptures_and_marks_old_rows_requeued(account):
    """Ordered writes: INSERT/UPDATE rows are re-captured from the current record, in order."""
    update = make_log(record_id=account.id, action="UPDATE", values='"name"=>"Old", "phone"=>"1"')
    insert = make_log(record_id=account.id, action="INSERT", values='"name"=>"Old"')
    max_id = TriggerLog.objects.latest("id").id

    count = trigger_log.retry_failed(TriggerLog.objects.failed(), write_algorithm=ORDERED)

    assert count == 2
    assert states() == {
        update.pk: "REQUEUED",
        insert.pk: "REQUEUED",
        **{log.pk: "NEW" for log in TriggerLog.objects.filter(id__gt=max_id)},
    }
    new_update, new_insert = TriggerLog.objects.filter(id__gt=max_id).order_by("id")
    # Same order as the original rows (update first), with the record's current values.
    assert (new_update.action, new_update.table_name, new_update.record_id) == (
        "UPDATE",
        "account",
        account.id,
    )
    assert new_update.values_as_dict == {"name": "Acme", "phone": "555-0100"}
    assert new_update.old is None
    assert new_insert.action == "INSERT"
    captured = new_insert.values_as_dict
    assert captured["id"] == str(account.id)
    assert captured["name"] == "Acme"
    assert "_hc_lastop" not in captured
    assert "_hc_err" not in captured


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
def test_retry_failed__ordered_recaptures_in_trigger_log_order(model):
    """New rows appear in the order of the rows they replace (ordered writes keep order)."""
    accounts = [make_account(name=f"A{n}") for n in range(6)]
    # Interleave tables of records and actions so that no other order matches by chance.
    plan = [(accounts[(n * 5) % 6], "INSERT" if n % 3 else "UPDATE") for n in range(30)]
    for record, action in plan:
        make_log(model=model, record_id=record.id, action=action)
    max_id = TriggerLog.objects.order_by("-id").values_list("id", flat=True).first() or 0

    assert trigger_log.retry_failed(model.objects.all(), write_algorithm=ORDERED) == 30

    new_rows = TriggerLog.objects.filter(id__gt=max_id).order_by("id")
    assert [(log.record_id, log.action) for log in new_rows] == [
        (record.id, action) for record, action in plan
    ]


@pytest.mark.django_db
def test_retry_failed__live_ordered_delete_goes_back_to_new(account):
    """A DELETE cannot be re-captured: it goes back to NEW, no row is added."""
    delete = make_log(record_id=account.id, action="DELETE", values=None, old='"name"=>"Acme"')
    before = TriggerLog.objects.count()
    assert trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm=ORDERED) == 1
    assert TriggerLog.objects.count() == before
    delete.refresh_from_db()
    assert delete.state == "NEW"


@pytest.mark.django_db
def test_retry_failed__ordered_leaves_rows_of_missing_records_failed(account):
    """A row whose record no longer exists stays FAILED and is not counted."""
    gone = make_log(record_id=account.id + 1000)
    kept = make_log(record_id=account.id)
    assert trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm=ORDERED) == 1
    assert states()[gone.pk] == "FAILED"
    assert states()[kept.pk] == "REQUEUED"


@pytest.mark.django_db
def test_retry_failed__ordered_with_unknown_table_raises_and_changes_nothing(account):
    """A missing mapped table raises LookupError before anything is written."""
    make_log(record_id=account.id)
    make_log(table_name="no_such_table__c")
    before = sorted(states().items())
    with pytest.raises(LookupError, match="no_such_table__c"):
        trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm=ORDERED)
    assert sorted(states().items()) == before


@pytest.mark.django_db
def test_retry_failed__ordered_update_with_empty_values_captures_no_columns(account):
    """An UPDATE row without values is re-captured with empty values, never the whole row."""
    make_log(record_id=account.id, values="")
    max_id = TriggerLog.objects.latest("id").id
    assert trigger_log.retry_failed(TriggerLog.objects.all(), write_algorithm=ORDERED) == 1
    assert TriggerLog.objects.get(id__gt=max_id).values_as_dict == {}


# --- retry_failed: archived rows --------------------------------------------------------------


@pytest.mark.django_db
def test_retry_failed__archive_merged_copies_back_as_new_and_marks_requeued():
    """Archived FAILED rows are copied to _trigger_log as NEW; the archive rows become REQUEUED."""
    archived = make_log(
        model=TriggerLogArchive,
        action="UPDATE",
        record_id=42,
        sf_id="001000000000001AAA",
        values='"name"=>"Renamed"',
        old='"name"=>"Before"',
        txid=777,
        created_at=LONG_AGO,
        processed_at=LONG_AGO,
    )
    untouched = make_log(model=TriggerLogArchive, state="SUCCESS")
    assert TriggerLog.objects.count() == 0

    count = trigger_log.retry_failed(TriggerLogArchive.objects.all(), write_algorithm=MERGED)

    assert count == 1
    assert states(TriggerLogArchive) == {archived.pk: "REQUEUED", untouched.pk: "SUCCESS"}
    (live,) = TriggerLog.objects.all()
    assert (live.state, live.action, live.table_name, live.record_id, live.sf_id) == (
        "NEW",
        "UPDATE",
        "account",
        42,
        "001000000000001AAA",
    )
    assert (live.values, live.old, live.txid, live.created_at) == (
        '"name"=>"Renamed"',
        '"name"=>"Before"',
        777,
        LONG_AGO,
    )
    # Not processed yet: no processing time or Salesforce error carried over.
    assert (live.processed_at, live.sf_message) == (None, None)
    assert live.updated_at > LONG_AGO


@pytest.mark.django_db
def test_retry_failed__archive_ordered_recaptures_updates_and_copies_deletes(account):
    """Ordered writes: archived INSERT/UPDATE rows are re-captured, DELETEs copied back."""
    update = make_log(model=TriggerLogArchive, record_id=account.id, values='"phone"=>"0"')
    delete = make_log(
        model=TriggerLogArchive, record_id=account.id, action="DELETE", old='"name"=>"x"'
    )
    count = trigger_log.retry_failed(TriggerLogArchive.objects.all(), write_algorithm=ORDERED)
    assert count == 2
    assert states(TriggerLogArchive) == {update.pk: "REQUEUED", delete.pk: "REQUEUED"}
    live = {log.action: log for log in TriggerLog.objects.all()}
    assert set(live) == {"UPDATE", "DELETE"}
    assert live["UPDATE"].values_as_dict == {"phone": "555-0100"}
    assert live["DELETE"].old == '"name"=>"x"'
    assert {log.state for log in live.values()} == {"NEW"}


# --- ignore_failed ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
def test_ignore_failed__marks_only_failed_rows_ignored(model):
    """FAILED -> IGNORED for live and archived rows; other states are left alone."""
    failed = [make_log(model=model) for _ in range(2)]
    new = make_log(model=model, state="NEW")
    assert trigger_log.ignore_failed(model.objects.all()) == 2
    assert states(model) == {failed[0].pk: "IGNORED", failed[1].pk: "IGNORED", new.pk: "NEW"}
    assert trigger_log.ignore_failed(model.objects.all()) == 0
    assert trigger_log.ignore_failed(model.objects.none()) == 0


# --- constant number of statements ------------------------------------------------------------


def _statements(func, n, model, **log_fields):
    model.objects.all().delete()
    for _ in range(n):
        make_log(model=model, **log_fields)
    with CaptureQueriesContext(connection) as captured:
        result = func(model.objects.all())
    assert result == n
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "model", "func"),
    [
        (
            "live merged",
            TriggerLog,
            lambda qs: trigger_log.retry_failed(qs, write_algorithm=MERGED),
        ),
        (
            "live ordered",
            TriggerLog,
            lambda qs: trigger_log.retry_failed(qs, write_algorithm=ORDERED),
        ),
        (
            "archive merged",
            TriggerLogArchive,
            lambda qs: trigger_log.retry_failed(qs, write_algorithm=MERGED),
        ),
        (
            "archive ordered",
            TriggerLogArchive,
            lambda qs: trigger_log.retry_failed(qs, write_algorithm=ORDERED),
        ),
        ("ignore live", TriggerLog, trigger_log.ignore_failed),
        ("ignore archive", TriggerLogArchive, trigger_log.ignore_failed),
    ],
)
def test_transitions__constant_statement_count(name, model, func, account):
    """10 rows and 200 rows cost the same (small) number of SQL statements."""
    small = _statements(func, 10, model, record_id=account.id)
    large = _statements(func, 200, model, record_id=account.id)
    assert small == large
    assert large <= 5  # savepoint + (table lookup) + one statement + release


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("model", "algorithm"),
    [
        (TriggerLog, MERGED),
        (TriggerLog, ORDERED),
        (TriggerLogArchive, MERGED),
        (TriggerLogArchive, ORDERED),
    ],
)
def test_retry_failed__two_concurrent_retries_requeue_each_row_once(model, algorithm):
    """Two connections retrying the same selection at once: each row is requeued exactly once."""
    account = make_account(name="Concurrent")
    ids = [make_log(model=model, record_id=account.id).pk for _ in range(20)]
    live_before = TriggerLog.objects.count()

    def retry() -> int:
        return trigger_log.retry_failed(model.objects.filter(pk__in=ids), write_algorithm=algorithm)

    assert second_waits_for_first(retry, retry) == (20, 0)
    expected = "REQUEUED" if model is TriggerLogArchive or algorithm is ORDERED else "NEW"
    assert {state for pk, state in states(model).items() if pk in ids} == {expected}
    new_live_rows = TriggerLog.objects.count() - live_before
    assert new_live_rows == (0 if model is TriggerLog and algorithm is MERGED else 20)


# --- capture_insert / capture_update -----------------------------------------------------------


@pytest.mark.django_db
def test_capture_insert__excludes_columns_but_never_id_or_sfid(account):
    """Excluded columns are left out of values; id and sfid cannot be excluded."""
    (log,) = trigger_log.capture_insert(
        "account", account.id, exclude_columns=["name", "phone", "id", "sfid"]
    )
    values = hstore_text_to_dict(log.values)
    assert "name" not in values
    assert "phone" not in values
    assert values["id"] == str(account.id)
    assert "sfid" in values
    assert (log.action, log.state, log.table_name, log.record_id) == (
        "INSERT",
        "NEW",
        "account",
        account.id,
    )


@pytest.mark.django_db
def test_capture_update__includes_only_the_given_columns(account):
    """values holds the included columns; with none given it is empty."""
    (log,) = trigger_log.capture_update("account", account.id, include_columns=["phone"])
    assert (log.action, log.state, log.values_as_dict) == ("UPDATE", "NEW", {"phone": "555-0100"})
    (empty,) = trigger_log.capture_update("account", account.id)
    assert empty.values_as_dict == {}


@pytest.mark.django_db
def test_capture__missing_record_and_unknown_table(account):
    """A missing record raises DoesNotExist; an unknown table LookupError; nothing is logged."""
    before = TriggerLog.objects.count()
    with pytest.raises(TriggerLog.DoesNotExist, match="after re-capturing INSERT"):
        trigger_log.capture_insert("account", account.id + 999)
    with pytest.raises(TriggerLog.DoesNotExist, match="after re-capturing UPDATE"):
        trigger_log.capture_update("account", account.id + 999)
    with pytest.raises(LookupError, match="nope__c"):
        trigger_log.capture_insert("nope__c", 1)
    assert TriggerLog.objects.count() == before
