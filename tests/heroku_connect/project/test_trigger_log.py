"""Trigger-log rows made by the shop's factories, and the models' helpers."""

import pytest

from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.utils import WriteAlgorithm, get_unique_connection_write_mode
from tests.heroku_connect.project import factories


@pytest.mark.django_db
def test_factories_make_log_and_archive_rows_without_ids():
    live = [factories.trigger_log(), factories.trigger_log(state="SUCCESS")]
    archived = [factories.archived_trigger_log() for _ in range(3)]
    assert len({log.pk for log in live}) == 2
    assert len({log.pk for log in archived}) == 3
    assert list(TriggerLog.objects.failed()) == [live[0]]
    assert TriggerLogArchive.objects.failed().count() == 3


@pytest.mark.django_db
def test_log_row_knows_its_record_and_relatives():
    contact = factories.contact()
    first = factories.trigger_log(record_id=contact.pk)
    second = factories.trigger_log(record_id=contact.pk, state="SUCCESS")
    factories.trigger_log(record_id=contact.pk + 1)
    assert first.get_model() == contact
    assert list(first.related()) == [first, second]
    assert list(first.related(exclude_self=True)) == [second]
    assert str(first).startswith(f"#{first.pk} UPDATE contact|{contact.pk} [")


@pytest.mark.django_db
def test_write_mode_follows_the_api_after_cache_clear(connect_api):
    assert get_unique_connection_write_mode() is WriteAlgorithm.MERGE_WRITES
    connect_api.ordered_writes = True
    get_unique_connection_write_mode.cache_clear()
    assert get_unique_connection_write_mode() is WriteAlgorithm.ORDERED_WRITES


@pytest.mark.django_db
def test_redo_under_merged_writes(connect_api):
    live = factories.trigger_log()
    archived = factories.archived_trigger_log(action="DELETE", old='"lastname"=>"Gone"')
    assert live.redo() == live
    assert TriggerLog.objects.get(pk=live.pk).state == "NEW"
    copy = archived.redo()
    assert (copy.state, copy.action, copy.old) == ("NEW", "DELETE", '"lastname"=>"Gone"')
    assert TriggerLogArchive.objects.get(pk=archived.pk).state == "REQUEUED"


@pytest.mark.django_db
def test_redo_under_ordered_writes_recaptures_the_record(
    connect_api, heroku_connect_development_schema
):
    """Ordered writes re-capture with Heroku Connect's functions: the development schema has them
    (and its capture triggers log the contact's INSERT)."""
    connect_api.ordered_writes = True
    contact = factories.contact(last_name="Now")
    assert list(TriggerLog.objects.values_list("action", "state")) == [("INSERT", "NEW")]
    failed = factories.trigger_log(record_id=contact.pk, values='"lastname"=>"Before"')
    recaptured = failed.redo()
    assert (recaptured.action, recaptured.state) == ("UPDATE", "NEW")
    assert recaptured.values_as_dict == {"lastname": "Now"}
    assert TriggerLog.objects.get(pk=failed.pk).state == "REQUEUED"
