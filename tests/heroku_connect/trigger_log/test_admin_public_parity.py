"""A confirmed admin action (``post=yes``) acts exactly as the public package's action.

Every combination goes through the changelist POST: live and archived rows, merged and ordered
writes (answered by a local Heroku Connect API), INSERT / UPDATE / DELETE and UPDATE rows
holding different column subsets. The public package's results (docs/library/public-api.md
§2.10, TriggerLog / TriggerLogArchive ``redo()`` behind ``retry_failed_logs_action``):

=========  =======  ==============  ==============================================================
row        writes   action          result
=========  =======  ==============  ==============================================================
live       merged   any             the row becomes NEW; no new row
live       ordered  INSERT, UPDATE  the record is re-captured as a new NEW row; the row REQUEUED
live       ordered  DELETE          the row becomes NEW; no new row
archived   merged   any             the row is copied to _trigger_log as NEW; archived REQUEUED
archived   ordered  INSERT, UPDATE  re-captured as a new NEW live row; archived REQUEUED
archived   ordered  DELETE          copied to _trigger_log as NEW; archived REQUEUED
=========  =======  ==============  ==============================================================

A re-captured INSERT holds the whole current record (without ``_hc_lastop`` / ``_hc_err``); a
re-captured UPDATE holds the current values of exactly the columns the old row's ``values`` had
(none when it had none). Rows in other states are left alone and not counted.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.schema import CONNECT_SESSION_SQL
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

URLS = {
    TriggerLog: "admin:heroku_connect_triggerlog_changelist",
    TriggerLogArchive: "admin:heroku_connect_triggerlogarchive_changelist",
}
SFID = "001000000000042AAA"
NO_NEW_ROW, COPIED, RECAPTURED = "no new row", "copied", "re-captured"

#: (archived, ordered, action) -> (state of the retried row, how the live NEW row comes about)
PUBLIC_RETRY = {
    (False, False, "INSERT"): ("NEW", NO_NEW_ROW),
    (False, False, "UPDATE"): ("NEW", NO_NEW_ROW),
    (False, False, "DELETE"): ("NEW", NO_NEW_ROW),
    (False, True, "INSERT"): ("REQUEUED", RECAPTURED),
    (False, True, "UPDATE"): ("REQUEUED", RECAPTURED),
    (False, True, "DELETE"): ("NEW", NO_NEW_ROW),
    (True, False, "INSERT"): ("REQUEUED", COPIED),
    (True, False, "UPDATE"): ("REQUEUED", COPIED),
    (True, False, "DELETE"): ("REQUEUED", COPIED),
    (True, True, "INSERT"): ("REQUEUED", RECAPTURED),
    (True, True, "UPDATE"): ("REQUEUED", RECAPTURED),
    (True, True, "DELETE"): ("REQUEUED", COPIED),
}

#: The ``values`` of UPDATE rows: one column, several, an empty hstore, NULL.
UPDATE_VALUES = {
    "one column": '"phone"=>"old phone"',
    "two columns": '"name"=>"Old name", "phone"=>"old phone"',
    "empty": "",
    "null": None,
}


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator", password="pw")


@pytest.fixture
def record(db):
    """An ``account`` as Heroku Connect wrote it, whose values changed since the failed write."""
    account = make_account(name="Old name", phone="old phone")
    with connection.cursor() as cursor:
        cursor.execute(CONNECT_SESSION_SQL)
        cursor.execute(
            "UPDATE salesforce.account SET name = 'Current name', phone = 'current phone', "
            "sfid = %s WHERE id = %s",
            [SFID, account.pk],
        )
        cursor.execute("SET xmlbinary = 'base64'")
    account.refresh_from_db()
    return account


def _states(model, *logs) -> dict[int, str]:
    """The current states of ``logs`` (rows added meanwhile are not included)."""
    rows = model.objects.filter(pk__in=[log.pk for log in logs])
    return dict(rows.values_list("id", "state"))


def _post(client, model, action, ids):
    data = {"action": action, ACTION_CHECKBOX_NAME: ids, "index": 0, "post": "yes"}
    response = client.post(reverse(URLS[model]), data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def _failed_row(model, action, record, values):
    fields = {"action": action, "record_id": record.pk, "sf_id": SFID, "values": values}
    if action == "DELETE":
        fields.update(values=None, old='"name"=>"Old name"')
    if action == "INSERT":
        fields["values"] = '"name"=>"Old name", "phone"=>"old phone"'
    return make_log(model=model, sf_message="UNABLE_TO_LOCK_ROW", **fields)


def _current_record(record) -> dict[str, str | None]:
    """The record as hstore text would hold it, without Heroku Connect's own columns."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT hstore(a.*) - ARRAY['_hc_lastop', '_hc_err'] FROM salesforce.account a "
            "WHERE id = %s",
            [record.pk],
        )
        text = cursor.fetchone()[0]
    from heroku_connect.hstore import hstore_text_to_dict

    return hstore_text_to_dict(text)


def _retry_combinations():
    for (archived, ordered, action), expected in PUBLIC_RETRY.items():
        subsets = UPDATE_VALUES if action == "UPDATE" else {"": None}
        for subset, values in subsets.items():
            model = TriggerLogArchive if archived else TriggerLog
            name = "-".join(
                filter(None, ["archive" if archived else "live", "ordered" if ordered else
                              "merged", action, subset.replace(" ", "_")])
            )  # fmt: skip
            yield pytest.param(model, ordered, action, values, *expected, id=name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "ordered", "action", "values", "retried_state", "new_row"), _retry_combinations()
)
def test_confirmed_retry__acts_as_the_public_package(
    client, operator, connect_api, record, model, ordered, action, values, retried_state, new_row
):
    """The confirmed retry leaves the public package's states, rows and message."""
    connect_api.modes = [ordered]
    failed = _failed_row(model, action, record, values)
    untouched = make_log(model=model, record_id=record.pk, state="SUCCESS")
    live_before = set(TriggerLog.objects.values_list("pk", flat=True))
    client.force_login(operator)

    messages = _post(client, model, "retry_failed_logs_action", [failed.pk, untouched.pk])

    assert messages == ["1 failed trigger logs retried."]
    assert _states(model, failed, untouched) == {failed.pk: retried_state, untouched.pk: "SUCCESS"}
    new_rows = list(TriggerLog.objects.exclude(pk__in=live_before))
    if new_row == NO_NEW_ROW:
        assert new_rows == []
        return
    (live,) = new_rows
    assert (live.state, live.action, live.table_name, live.record_id) == (
        "NEW",
        action,
        "account",
        record.pk,
    )
    if new_row == COPIED:
        assert (live.sf_id, live.values, live.old, live.txid, live.created_at) == (
            failed.sf_id,
            failed.values,
            failed.old,
            failed.txid,
            failed.created_at,
        )
    elif action == "INSERT":
        assert live.values_as_dict == _current_record(record)
        assert live.values_as_dict["name"] == "Current name"
        assert live.old is None
    else:
        old_columns = failed.values_as_dict or {}
        current = _current_record(record)
        assert live.values_as_dict == {column: current[column] for column in old_columns}
        assert (live.sf_id, live.old) == (SFID, None)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
@pytest.mark.parametrize("ordered", [False, True])
def test_confirmed_retry__mixed_selection_counts_failed_rows_only(
    client, operator, connect_api, record, model, ordered
):
    """INSERT, UPDATE and DELETE rows in one POST: each gets its own result; one message."""
    connect_api.modes = [ordered]
    failed = {
        action: _failed_row(model, action, record, '"phone"=>"x"')
        for action in ("INSERT", "UPDATE", "DELETE")
    }
    other_states = [make_log(model=model, state=state) for state in ("NEW", "PENDING", "IGNORED")]
    client.force_login(operator)
    ids = [log.pk for log in [*failed.values(), *other_states]]

    messages = _post(client, model, "retry_failed_logs_action", ids)

    assert messages == ["3 failed trigger logs retried."]
    archived = model is TriggerLogArchive
    expected = {
        failed[action].pk: PUBLIC_RETRY[(archived, ordered, action)][0] for action in failed
    }
    expected.update({log.pk: log.state for log in other_states})
    assert _states(model, *failed.values(), *other_states) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
def test_confirmed_ignore__acts_as_the_public_package(client, operator, record, model):
    """FAILED rows become IGNORED, others stay; the public package's message; no API call."""
    failed = [_failed_row(model, action, record, '"phone"=>"x"') for action in ("INSERT", "DELETE")]
    done = make_log(model=model, state="SUCCESS")
    client.force_login(operator)

    messages = _post(client, model, "ignore_failed_logs_action", [*(f.pk for f in failed), done.pk])

    assert messages == ["2 failed trigger logs marked as ignored."]
    assert states(model) == {failed[0].pk: "IGNORED", failed[1].pk: "IGNORED", done.pk: "SUCCESS"}
    assert not TriggerLog.objects.exclude(pk__in=[f.pk for f in failed] + [done.pk]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
def test_confirmed_retry__nothing_failed_asks_no_api(client, operator, connect_api, model):
    """With no FAILED row selected the public package never asks the API: neither do we."""
    connect_api.status = 500  # a lookup would fail loudly
    done = make_log(model=model, state="SUCCESS")
    client.force_login(operator)

    messages = _post(client, model, "retry_failed_logs_action", [done.pk])

    assert messages == ["0 failed trigger logs retried."]
    assert connect_api.requests == []
    assert states(model) == {done.pk: "SUCCESS"}


# --- deliberate differences (README "Deliberate differences") ---------------------------------


@pytest.mark.django_db
def test_confirmed_retry__ordered_row_of_a_deleted_record_stays_failed(
    client, operator, connect_api
):
    """The public package's action crashed (DoesNotExist, a 500 page); ours leaves the row FAILED
    and counts it out."""
    connect_api.modes = [True]
    orphan = make_log(action="UPDATE", record_id=987654, values='"phone"=>"x"')
    client.force_login(operator)

    messages = _post(client, TriggerLog, "retry_failed_logs_action", [orphan.pk])

    assert messages == ["0 failed trigger logs retried."]
    assert states() == {orphan.pk: "FAILED"}
