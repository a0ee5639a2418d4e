"""The trigger-log admin actions, posted to the changelists as an operator would."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.heroku_connect.project import factories

LIVE = "admin:heroku_connect_triggerlog_changelist"
ARCHIVE = "admin:heroku_connect_triggerlogarchive_changelist"


def _action(client, url, action, logs, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [log.pk for log in logs], "index": 0, **extra}
    return client.post(reverse(url), data, follow=True)


def _messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db
def test_changelists_list_the_rows(admin_client):
    factories.trigger_log()
    factories.archived_trigger_log(state="SUCCESS")
    assert b"UNABLE_TO_LOCK_ROW" in admin_client.get(reverse(LIVE)).content
    assert b"SUCCESS" in admin_client.get(reverse(ARCHIVE)).content


@pytest.mark.django_db
def test_retry_asks_for_confirmation_then_retries(admin_client, connect_api):
    logs = [factories.trigger_log(), factories.trigger_log(), factories.trigger_log(state="NEW")]
    confirmation = _action(admin_client, LIVE, "retry_failed_logs_action", logs)
    assert b"Are you sure?" in confirmation.content
    assert TriggerLog.objects.failed().count() == 2

    response = _action(admin_client, LIVE, "retry_failed_logs_action", logs, post="yes")
    assert _messages(response) == ["2 failed trigger logs retried."]
    assert set(TriggerLog.objects.values_list("state", flat=True)) == {"NEW"}


@pytest.mark.django_db
def test_retrying_archived_rows_copies_them_back(admin_client, connect_api):
    archived = factories.archived_trigger_log(record_id=7)
    response = _action(admin_client, ARCHIVE, "retry_failed_logs_action", [archived], post="yes")
    assert _messages(response) == ["1 failed trigger logs retried."]
    assert TriggerLogArchive.objects.get().state == "REQUEUED"
    live = TriggerLog.objects.get()
    assert (live.state, live.record_id, live.values) == ("NEW", 7, archived.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "factory"), [(LIVE, "trigger_log"), (ARCHIVE, "archived_trigger_log")]
)
def test_ignore_marks_failed_rows_ignored(admin_client, url, factory):
    make = getattr(factories, factory)
    failed, done = make(), make(state="SUCCESS")
    response = _action(admin_client, url, "ignore_failed_logs_action", [failed, done], post="yes")
    assert _messages(response) == ["1 failed trigger logs marked as ignored."]
    model = type(failed)
    assert dict(model.objects.values_list("pk", "state")) == {
        failed.pk: "IGNORED",
        done.pk: "SUCCESS",
    }


@pytest.mark.django_db
def test_ordered_retry_in_the_admin(admin_client, connect_api, heroku_connect_development_schema):
    connect_api.ordered_writes = True
    contact = factories.contact(last_name="Current")
    failed = factories.trigger_log(record_id=contact.pk, values='"lastname"=>"Old"')
    response = _action(admin_client, LIVE, "retry_failed_logs_action", [failed], post="yes")
    assert _messages(response) == ["1 failed trigger logs retried."]
    assert TriggerLog.objects.get(pk=failed.pk).state == "REQUEUED"
    recaptured = TriggerLog.objects.filter(action="UPDATE", state="NEW").get()
    assert recaptured.values_as_dict == {"lastname": "Current"}
