"""Retries that look the write algorithm up through the Heroku Connect API (a real local server)."""

from __future__ import annotations

import psycopg
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from heroku_connect import trigger_log
from heroku_connect.models import TriggerLog
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

LIVE_URL = "admin:heroku_connect_triggerlog_changelist"


def _dsn() -> str:
    s = connection.settings_dict
    return f"dbname={s['NAME']} user={s['USER']} host={s['HOST']} port={s['PORT'] or 5432}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ordered", "old_state", "new_rows"), [(False, "NEW", 0), (True, "REQUEUED", 1)]
)
def test_retry_failed__uses_the_connections_write_algorithm(
    connect_api, ordered, old_state, new_rows
):
    """Without write_algorithm the API's poll_db_no_merge decides merged vs ordered."""
    connect_api.modes = [ordered]
    account = make_account(name="Acme")
    log = make_log(record_id=account.id)
    assert trigger_log.retry_failed(TriggerLog.objects.all()) == 1
    assert states()[log.pk] == old_state
    assert TriggerLog.objects.count() == 1 + new_rows
    (request,) = connect_api.requests
    assert request.startswith("/api/v3/connections?")
    assert "app=hcop-test" in request


@pytest.mark.django_db(transaction=True)
def test_retry_failed__looks_the_mode_up_before_locking_rows(connect_api):
    """While the API is being asked, no trigger-log row is locked by the retry."""
    log = make_log()
    lockable: list[bool] = []

    def try_lock() -> None:
        with psycopg.connect(_dsn()) as other:
            try:
                other.execute(
                    "SELECT id FROM salesforce._trigger_log WHERE id = %s FOR UPDATE NOWAIT",
                    [log.pk],
                )
                lockable.append(True)
            except psycopg.errors.LockNotAvailable:
                lockable.append(False)

    connect_api.on_request = try_lock
    assert trigger_log.retry_failed(TriggerLog.objects.all()) == 1
    assert lockable == [True]


@pytest.mark.django_db
def test_retry_failed__mixed_write_modes_raise_and_change_nothing(connect_api):
    """Connections with different write algorithms: ValueError, nothing is retried."""
    connect_api.modes = [True, False]
    log = make_log()
    with pytest.raises(ValueError):  # noqa: PT011 (the message is the API client's)
        trigger_log.retry_failed(TriggerLog.objects.all())
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_redo__without_write_algorithm_asks_the_api(connect_api):
    """TriggerLog.redo() with no argument follows the connection's write algorithm."""
    connect_api.modes = [True]
    account = make_account(name="Acme")
    log = make_log(record_id=account.id, values='"name"=>"x"')
    new = log.redo()
    assert new.pk != log.pk
    assert (new.state, log.state) == ("NEW", "REQUEUED")


@pytest.mark.django_db
def test_admin_retry__confirms_then_retries_with_the_api_mode(client, connect_api):
    """A change-permitted user confirms and the FAILED rows are retried; the count is reported."""
    failed = [make_log() for _ in range(3)]
    client.force_login(User.objects.create_superuser("root", password="pw"))
    data = {
        "action": "retry_failed_logs_action",
        ACTION_CHECKBOX_NAME: [log.pk for log in failed],
        "index": 0,
    }
    confirm = client.post(reverse(LIVE_URL), data)
    assert "3 failed trigger logs will be retried:" in " ".join(confirm.content.decode().split())
    assert connect_api.requests == []  # nothing asked or changed before confirmation
    response = client.post(reverse(LIVE_URL), {**data, "post": "yes"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["3 failed trigger logs retried."]
    assert set(states().values()) == {"NEW"}


@pytest.mark.django_db
def test_admin_retry__api_failure_is_reported_and_nothing_changes(client, connect_api):
    """An API error becomes an error message; the rows stay FAILED; no traceback page."""
    connect_api.status = 500
    log = make_log()
    client.force_login(User.objects.create_superuser("root", password="pw"))
    data = {
        "action": "retry_failed_logs_action",
        ACTION_CHECKBOX_NAME: [log.pk],
        "index": 0,
        "post": "yes",
    }
    response = client.post(reverse(LIVE_URL), data, follow=True)
    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing was retried: ")
    assert "test-token" not in message
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_retry_failed_log_helper__true_only_for_failed_rows(connect_api):
    """The admin's _retry_failed_log retries a FAILED row once, then reports False."""
    from heroku_connect.admin import _retry_failed_log

    log = make_log()
    assert _retry_failed_log(log) is True
    assert _retry_failed_log(log) is False
    assert states() == {log.pk: "NEW"}
