"""heroku_connect.models: constants, fields, querysets and per-row methods on the real schema."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from app.salesforce.models import Account
from heroku_connect import models as hc_models
from heroku_connect.models import (
    TriggerLog,
    TriggerLogAbstract,
    TriggerLogAction,
    TriggerLogArchive,
    TriggerLogQuerySet,
    TriggerLogState,
)
from heroku_connect.states import WriteAlgorithm
from heroku_connect.trigger_log import TriggerLogStateError
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

MERGED = WriteAlgorithm.MERGE_WRITES
ORDERED = WriteAlgorithm.ORDERED_WRITES


@pytest.fixture
def account(db):
    return make_account(name="Acme", phone="555-0100")


def test_constants__exact_values():
    """The public package's constants, exactly."""
    assert hc_models.TRIGGER_LOG_ACTION == {
        "INSERT": "INSERT",
        "UPDATE": "UPDATE",
        "DELETE": "DELETE",
    }
    assert hc_models.TRIGGER_LOG_ACTION_CHOICES == [
        ("DELETE", "DELETE"),
        ("INSERT", "INSERT"),
        ("UPDATE", "UPDATE"),
    ]
    names = ["SUCCESS", "MERGED", "IGNORED", "FAILED", "READONLY", "NEW", "IGNORE", "PENDING"]
    names += ["REQUEUE", "REQUEUED"]
    assert {name: name for name in names} == hc_models.TRIGGER_LOG_STATE
    assert list(hc_models.TRIGGER_LOG_STATE) == names
    assert [(n, n) for n in sorted(names)] == hc_models.TRIGGER_LOG_STATE_CHOICES


def test_text_choices__states_and_actions():
    """States and actions also exist as TextChoices whose values and labels are the names."""
    assert TriggerLogState.FAILED == "FAILED"
    assert [c[0] for c in TriggerLogState.choices] == list(hc_models.TRIGGER_LOG_STATE)
    assert all(value == label for value, label in TriggerLogState.choices)
    assert sorted(TriggerLogAction.values) == ["DELETE", "INSERT", "UPDATE"]


def test_fields__names_columns_and_options():
    """Fields, columns and options match the public package."""
    fields = {f.name: f for f in TriggerLog._meta.fields}
    assert list(fields) == [
        "id",
        "txid",
        "created_at",
        "updated_at",
        "processed_at",
        "table_name",
        "record_id",
        "sf_id",
        "action",
        "state",
        "sf_message",
        "values",
        "old",
    ]
    expected_types = {
        "id": models.BigAutoField,
        "txid": models.BigIntegerField,
        "created_at": models.DateTimeField,
        "table_name": models.CharField,
        "record_id": models.BigIntegerField,
        "sf_id": models.CharField,
        "sf_message": models.TextField,
        "values": models.TextField,
        "old": models.TextField,
    }
    for name, field_type in expected_types.items():
        assert type(fields[name]) is field_type, name
    assert fields["sf_id"].column == "sfid"
    assert (fields["table_name"].max_length, fields["sf_id"].max_length) == (128, 18)
    assert (fields["action"].max_length, fields["state"].max_length) == (7, 8)
    assert fields["action"].choices == hc_models.TRIGGER_LOG_ACTION_CHOICES
    assert fields["state"].choices == hc_models.TRIGGER_LOG_STATE_CHOICES
    not_editable = {"id", "txid", "created_at", "updated_at", "processed_at"}
    not_editable |= {"table_name", "record_id", "sf_id"}
    assert {name for name, f in fields.items() if not f.editable} == not_editable
    assert {name for name, f in fields.items() if f.blank and f.null} >= {
        "sf_message",
        "values",
        "old",
    }
    assert not fields["table_name"].null
    assert not fields["record_id"].null


def test_meta__tables_names_and_options():
    """Unmanaged models in app heroku_connect with the public db_table and verbose names."""
    assert TriggerLogAbstract._meta.abstract
    assert issubclass(type(TriggerLog.objects.all()), TriggerLogQuerySet)
    for model in (TriggerLog, TriggerLogArchive):
        assert model._meta.managed is False
        assert model._meta.get_latest_by == "created_at"
        assert model._meta.ordering == ("id",)
        assert model._meta.app_label == "heroku_connect"
    assert TriggerLog._meta.db_table == 'salesforce"."_trigger_log'
    assert TriggerLogArchive._meta.db_table == 'salesforce"."_trigger_log_archive'
    assert TriggerLog._meta.model_name == "triggerlog"
    assert str(TriggerLog._meta.verbose_name) == "Trigger Log"
    assert str(TriggerLogArchive._meta.verbose_name) == "Trigger Log (archived)"
    assert str(TriggerLogArchive._meta.verbose_name_plural) == "Trigger Logs (archived)"
    assert (TriggerLog.is_archived, TriggerLogArchive.is_archived) == (False, True)
    assert apps.get_model("heroku_connect", "TriggerLogArchive") is TriggerLogArchive


@pytest.mark.django_db
def test_migration__0001_initial_creates_no_tables_and_matches_the_models():
    """The shipped 0001_initial is applied, state-only, and makemigrations finds nothing new."""
    from io import StringIO

    from django.core.management import call_command
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder.Migration.objects.filter(app="heroku_connect")
    assert list(applied.values_list("name", flat=True)) == ["0001_initial"]
    out = StringIO()
    call_command("makemigrations", "heroku_connect", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_models__work_on_heroku_connects_integer_columns():
    """Rows round-trip through the real schema (integer id/record_id, extra HC columns)."""
    log = make_log(record_id=2**31 - 1)
    fetched = TriggerLog.objects.get(pk=log.pk)
    assert fetched.record_id == 2**31 - 1
    assert TriggerLog.objects.latest() == fetched


def test_str__renders_real_values():
    """__str__ renders the values, not the literal placeholders (improvement d)."""
    created = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    log = TriggerLog(
        id=4,
        action="UPDATE",
        table_name="number_object__c",
        record_id=1,
        created_at=created,
        state="FAILED",
    )
    assert str(log) == "#4 UPDATE number_object__c|1 [2024-05-06 07:08:09+00:00] [FAILED]"


def test_values_as_dict__parses_hstore_text():
    """values_as_dict parses the hstore literal; NULL values become None."""
    log = TriggerLog(values='"name"=>"A, b", "phone"=>NULL')
    assert log.values_as_dict == {"name": "A, b", "phone": None}
    assert TriggerLog(values=None).values_as_dict is None


@pytest.mark.django_db
def test_queryset__failed_and_related_to():
    """failed() keeps FAILED rows; related_to() the rows of the same table and record."""
    a = make_log(record_id=1)
    b = make_log(record_id=1, state="SUCCESS")
    make_log(record_id=2)
    make_log(record_id=1, table_name="contact")
    assert set(TriggerLog.objects.failed().values_list("state", flat=True)) == {"FAILED"}
    assert list(TriggerLog.objects.related_to(a)) == [a, b]
    assert list(a.related()) == [a, b]
    assert list(a.related(exclude_self=True)) == [b]


@pytest.mark.django_db
def test_get_model__instance_none_or_lookup_error(account):
    """get_model() returns the record, None when it is gone, LookupError for unknown tables."""
    assert make_log(record_id=account.id).get_model() == account
    assert make_log(record_id=account.id + 100).get_model() is None
    with pytest.raises(LookupError):
        make_log(table_name="unknown__c").get_model()


@pytest.mark.django_db
def test_capture_insert_from_model__exclude_fields_really_excluded(account):
    """exclude_fields removes those columns from the captured values (improvement b)."""
    logs = TriggerLog.capture_insert_from_model(
        "account", account.id, exclude_fields=["name", "phone"]
    )
    assert len(logs) == 1
    assert isinstance(logs[0], TriggerLog)
    values = logs[0].values_as_dict
    assert "name" not in values
    assert "phone" not in values
    assert values["id"] == str(account.id)
    assert logs[0].state == "NEW"


@pytest.mark.django_db
def test_capture_insert_from_model__errors(account):
    """Unknown field: FieldDoesNotExist; unknown table: LookupError; no record: DoesNotExist."""
    with pytest.raises(FieldDoesNotExist):
        TriggerLog.capture_insert_from_model("account", account.id, exclude_fields=["nope"])
    with pytest.raises(LookupError):
        TriggerLog.capture_insert_from_model("nope__c", account.id, exclude_fields=["name"])
    with pytest.raises(TriggerLog.DoesNotExist) as excinfo:
        TriggerLog.capture_insert_from_model("account", account.id + 5)
    assert str(excinfo.value) == "TriggerLog was not created after re-capturing INSERT"


@pytest.mark.django_db
def test_capture_update_from_model__fields_and_columns(account):
    """update_fields (field names) and update_columns (columns) are both included."""
    (log,) = TriggerLog.capture_update_from_model(
        "account", account.id, update_fields=["phone"], update_columns=["name"]
    )
    assert log.values_as_dict == {"name": "Acme", "phone": "555-0100"}
    assert (log.action, log.sf_id, log.old) == ("UPDATE", None, None)
    (empty,) = TriggerLog.capture_update_from_model("account", account.id)
    assert empty.values_as_dict == {}
    with pytest.raises(TriggerLog.DoesNotExist) as excinfo:
        TriggerLog.capture_update_from_model("account", account.id + 5)
    assert str(excinfo.value) == "TriggerLog was not created after re-capturing UPDATE"


@pytest.mark.django_db
def test_instance_capture_shortcuts_and_recapture(account):
    """capture_insert/capture_update use the row's table and record; _recapture by action."""
    log = make_log(record_id=account.id, values='"phone"=>"old"')
    assert log.capture_insert(exclude_fields=["name"])[0].values_as_dict.get("name") is None
    assert log.capture_update(update_fields=["name"])[0].values_as_dict == {"name": "Acme"}
    before = TriggerLog.objects.count()
    assert log._recapture() is True
    assert TriggerLog.objects.latest("id").values_as_dict == {"phone": "555-0100"}
    insert = make_log(record_id=account.id, action="INSERT")
    assert insert._recapture() is True
    assert make_log(record_id=account.id, action="DELETE")._recapture() is False
    # two re-captures plus the INSERT and DELETE rows made here
    assert TriggerLog.objects.count() == before + 4


def test_fieldnames_to_colnames():
    """Field names map to their columns."""
    assert TriggerLog._fieldnames_to_colnames(Account, ["name", "sf_id", "external_id"]) == {
        "name",
        "sfid",
        "external_id__c",
    }


# --- redo() -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_redo__live_merged_returns_the_row_itself_now_new():
    """Merged writes: the FAILED row becomes NEW and is returned (improvement f)."""
    log = make_log()
    result = log.redo(write_algorithm=MERGED)
    assert result is log
    assert log.state == "NEW"
    assert states()[log.pk] == "NEW"


@pytest.mark.django_db
def test_redo__live_ordered_returns_the_new_recaptured_row(account):
    """Ordered writes: the new NEW row is returned; the old row is REQUEUED."""
    log = make_log(record_id=account.id, values='"name"=>"x"')
    result = log.redo(write_algorithm=ORDERED)
    assert isinstance(result, TriggerLog)
    assert result.pk != log.pk
    assert (result.state, result.action, result.values_as_dict) == (
        "NEW",
        "UPDATE",
        {"name": "Acme"},
    )
    assert log.state == "REQUEUED"


@pytest.mark.django_db
@pytest.mark.parametrize("algorithm", [MERGED, ORDERED])
def test_redo__archive_returns_the_new_live_row(account, algorithm):
    """An archived row is re-applied as a new live NEW row; the archive row is REQUEUED."""
    archived = make_log(model=TriggerLogArchive, record_id=account.id, values='"phone"=>"1"')
    result = archived.redo(write_algorithm=algorithm)
    assert isinstance(result, TriggerLog)
    assert result.state == "NEW"
    assert result.record_id == account.id
    assert archived.state == "REQUEUED"
    assert TriggerLog.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["SUCCESS", "IGNORED", "MERGED"])
def test_redo__re_applies_rows_in_any_state_like_the_public_package(account, state):
    """redo() is not limited to FAILED rows (the public package re-applies any row)."""
    live = make_log(state=state, record_id=account.id)
    assert live.redo(write_algorithm=MERGED) == live
    assert live.state == "NEW"
    archived = make_log(model=TriggerLogArchive, state=state, record_id=account.id)
    assert archived.redo(write_algorithm=MERGED).state == "NEW"
    assert archived.state == "REQUEUED"


@pytest.mark.django_db
def test_redo__missing_row_or_record_changes_nothing(account):
    """A deleted log raises TriggerLogStateError; a vanished record raises DoesNotExist."""
    vanished = make_log(state="SUCCESS")
    TriggerLog.objects.filter(pk=vanished.pk).delete()
    with pytest.raises(TriggerLogStateError, match="no longer exists"):
        vanished.redo(write_algorithm=MERGED)
    gone = make_log(record_id=account.id + 77, action="INSERT")
    with pytest.raises(TriggerLog.DoesNotExist, match="after re-capturing INSERT"):
        gone.redo(write_algorithm=ORDERED)
    assert states() == {gone.pk: "FAILED"}
