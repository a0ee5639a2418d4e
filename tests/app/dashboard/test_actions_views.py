"""The retry / ignore pages (confirm, then act) and the auto-retry policy page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from app.audit.models import AuditEntry, AutoRetryPolicy
from app.dashboard import errors
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.app.dashboard.connect_api import serve_connections, unreachable_api
from tests.heroku_connect.trigger_log.factories import make_log, states

LOCK = "unable to obtain exclusive access to this record or 1 records: 0013000000AbCdE"
VALIDATION = "Amount must be positive"
RETRY_CONFIRM = reverse("dashboard:retry_confirm")
IGNORE_CONFIRM = reverse("dashboard:ignore_confirm")
RETRY = reverse("dashboard:retry")
IGNORE = reverse("dashboard:ignore")
AUTORETRY = reverse("dashboard:autoretry")


def _group(message: str, table: str = "account") -> str:
    cause = errors.classify(message)
    return errors.group_key(table, cause.code, cause.normalised_message)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def connect_api():
    with serve_connections() as state:
        yield state


def _message(response) -> str:
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def _unchanged(*logs) -> bool:
    return (
        all(type(log).objects.get(pk=log.pk).state == "FAILED" for log in logs)
        and not AuditEntry.objects.filter(outcome="ok").exists()
    )


# --- access ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [RETRY_CONFIRM, IGNORE_CONFIRM, RETRY, IGNORE, AUTORETRY])
def test_access__anonymous_users_go_to_login(client, url):
    """Every action page requires login."""
    response = client.get(url) if "confirm" in url or url == AUTORETRY else client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("url", [RETRY_CONFIRM, IGNORE_CONFIRM, RETRY, IGNORE])
def test_access__viewers_may_not_retry_or_ignore(viewer_client, url):
    """Viewers get 403 on the confirmation and the action; nothing changes."""
    log = make_log()
    response = viewer_client.post(url, {"scope": "ids", "id": f"live:{log.pk}"})
    assert response.status_code == 403
    assert _unchanged(log)


@pytest.mark.django_db
def test_access__actions_are_post_only(operator_client):
    """GET on the action URLs is 405 (a link can never change data)."""
    log = make_log()
    assert operator_client.get(RETRY, {"id": f"live:{log.pk}"}).status_code == 405
    assert operator_client.get(IGNORE, {"id": f"live:{log.pk}"}).status_code == 405
    assert _unchanged(log)


@pytest.mark.django_db
def test_access__csrf_is_enforced(operator):
    """A POST without the CSRF token is rejected."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    log = make_log()
    response = client.post(
        RETRY, {"scope": "ids", "id": f"live:{log.pk}", "write_algorithm": "merged"}
    )
    assert response.status_code == 403
    assert _unchanged(log)


# --- confirmation ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirm__says_exactly_what_will_change_and_changes_nothing(operator_client, connect_api):
    """The confirmation counts the FAILED rows and names the effect per source."""
    live = [make_log(sf_message=LOCK) for _ in range(3)]
    archived = make_log(model=TriggerLogArchive, sf_message=LOCK)
    other = make_log(sf_message=VALIDATION)
    response = operator_client.get(RETRY_CONFIRM, {"group": _group(LOCK), "source": "both"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Retry 4 FAILED writes: UNABLE_TO_LOCK_ROW" in html
    assert "on account, live and archived" in html
    assert "live: 3 -&gt; NEW (updated_at = now)" in html
    assert "archived: 1 copied back to the live log as NEW" in html
    assert "merged writes" in html
    assert 'name="expected" value="4"' in html
    assert _unchanged(*live, archived, other)


@pytest.mark.django_db
def test_confirm__ids_from_the_list_or_one_row(operator_client, connect_api):
    """Ids posted from the failure list (or one id from the detail page) are confirmed."""
    first, second = make_log(), make_log(model=TriggerLogArchive)
    response = operator_client.post(  # the failure list's checkboxes are named "ids"
        IGNORE_CONFIRM, {"ids": [f"live:{first.pk}", f"archive:{second.pk}"]}
    )
    html = response.content.decode()
    assert "Ignore 2 FAILED writes: 2 selected rows (live: 1, archived: 1)" in html
    assert f'name="id" value="live:{first.pk}"' in html
    one = operator_client.get(RETRY_CONFIRM, {"id": f"live:{first.pk}"}).content.decode()
    assert f"Retry 1 FAILED write: trigger log #{first.pk}" in one
    assert _unchanged(first, second)


@pytest.mark.django_db
def test_confirm__nothing_to_do(operator_client, connect_api):
    """A selection without FAILED rows offers no confirm button."""
    log = make_log(state="SUCCESS")
    html = operator_client.get(RETRY_CONFIRM, {"id": f"live:{log.pk}"}).content.decode()
    assert "Nothing to do" in html
    assert "confirm-button" not in html


@pytest.mark.django_db
def test_confirm__unreachable_api_lets_the_operator_choose(operator_client):
    """Without the API the page explains and offers merged / ordered with their effects."""
    log = make_log()
    with unreachable_api(token="secret-test-token"):
        response = operator_client.get(RETRY_CONFIRM, {"id": f"live:{log.pk}"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "could not be read from the Heroku Connect API" in html
    assert 'name="write_algorithm" value="merged"' in html
    assert 'name="write_algorithm" value="ordered"' in html
    assert "secret-test-token" not in html


# --- acting ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retry__a_whole_error_group(operator_client, operator, connect_api):
    """Retrying a group changes exactly its FAILED rows, live and archived, and says how many."""
    live = [make_log(sf_message=LOCK) for _ in range(3)]
    archived = make_log(model=TriggerLogArchive, sf_message=LOCK)
    other = make_log(sf_message=VALIDATION)
    params = {"scope": "filter", "group": _group(LOCK), "source": "both", "expected": "4"}
    response = operator_client.post(RETRY, params)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:failures") + "?")
    assert _message(response) == (
        "Retried 4 failed writes (live: 3, archived: 1) with merged writes."
    )
    assert {states()[log.pk] for log in live} == {"NEW"}
    assert states()[other.pk] == "FAILED"
    assert states(TriggerLogArchive)[archived.pk] == "REQUEUED"
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.row_count, entry.outcome) == (
        operator,
        "retry",
        4,
        "ok",
    )
    assert entry.selection["group"] == _group(LOCK)
    assert entry.target.startswith("UNABLE_TO_LOCK_ROW")


@pytest.mark.django_db
def test_retry__twice_reports_rows_handled_meanwhile(operator_client, connect_api):
    """The second confirmation of the same set retries nothing and says so."""
    log = make_log()
    data = {"scope": "ids", "id": f"live:{log.pk}", "expected": "1"}
    operator_client.post(RETRY, data)
    response = operator_client.post(RETRY, data)
    message = _message(response).split(" | ")[-1]  # after the first action's message
    assert message.startswith("Retried 0 failed writes")
    assert "1 of the 1 confirmed were no longer FAILED" in message


@pytest.mark.django_db
def test_ignore__ids_and_next(operator_client):
    """Ignore by ids, back to a local ``next`` URL."""
    first, second = make_log(), make_log()
    response = operator_client.post(
        IGNORE, {"scope": "ids", "id": [f"live:{first.pk}"], "next": "/failures/?table=account"}
    )
    assert response["Location"] == "/failures/?table=account"
    assert _message(response) == "Ignored 1 failed write (live: 1, archived: 0)."
    assert states() == {first.pk: "IGNORED", second.pk: "FAILED"}


@pytest.mark.django_db
def test_ignore__foreign_next_is_not_followed(operator_client):
    """An off-site ``next`` is replaced by the failure list (no open redirect)."""
    log = make_log()
    response = operator_client.post(
        IGNORE, {"scope": "ids", "id": f"live:{log.pk}", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard:failures")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"scope": "ids", "id": "live:1 OR 1=1"},
        {"scope": "ids", "id": ["live:1", "table:2"]},
        {"scope": "ids"},
        {"scope": "everything"},
        {"scope": "filter", "group": "UNABLE_TO_LOCK_ROW.not-base64!"},
        {"scope": "filter", "since": "yesterday"},
        {"scope": "filter", "source": "elsewhere"},
        {"scope": "filter", "table": "account; drop table x"},
        {"scope": "ids", "id": "live:1", "write_algorithm": "fastest"},
        {"scope": "ids", "id": "live:1", "expected": "many"},
    ],
)
def test_tampered_input__is_a_400_and_changes_nothing(operator_client, data):
    """Tampered ids, filters or options: 400 with a message, no row changed, nothing audited."""
    log = make_log()
    for url in (RETRY, IGNORE):
        response = operator_client.post(url, data)
        assert response.status_code == 400
        assert "Nothing was changed" in response.content.decode()
    if "expected" not in data:
        assert operator_client.post(RETRY_CONFIRM, data).status_code == 400
    assert states() == {log.pk: "FAILED"}
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_retry__unreachable_api_changes_nothing_then_explicit_choice_works(operator_client):
    """The API is down: 503 with the choice; choosing merged writes then retries."""
    log = make_log()
    data = {"scope": "ids", "id": f"live:{log.pk}", "write_algorithm": "auto"}
    with unreachable_api(token="secret-test-token"):
        response = operator_client.post(RETRY, data)
        html = response.content.decode()
        assert response.status_code == 503
        assert "could not be read from the Heroku Connect API" in html
        assert "secret-test-token" not in html
        assert 'name="write_algorithm" value="ordered"' in html
        assert states() == {log.pk: "FAILED"}
        assert AuditEntry.objects.get().outcome == "error"

        response = operator_client.post(RETRY, {**data, "write_algorithm": "merged"})
    assert response.status_code == 302
    assert states() == {log.pk: "NEW"}
    assert "chosen by the operator" in AuditEntry.objects.get(outcome="ok").detail


@pytest.mark.django_db
def test_retry__ordered_writes_with_a_missing_table_changes_nothing(operator_client):
    """A mapped table missing from the schema: a clear message, every row still FAILED."""
    live = make_log()
    missing = make_log(table_name="gone_table")
    data = {
        "scope": "ids",
        "id": [f"live:{live.pk}", f"live:{missing.pk}"],
        "write_algorithm": "ordered",
    }
    response = operator_client.post(RETRY, data)
    assert response.status_code == 302
    assert "Nothing changed" in _message(response)
    assert "gone_table" in _message(response)
    assert states() == {live.pk: "FAILED", missing.pk: "FAILED"}
    assert TriggerLog.objects.count() == 2


# --- auto-retry policy page -----------------------------------------------------------------


@pytest.mark.django_db
def test_autoretry_page__viewers_see_it_read_only(viewer_client):
    """Viewers see the policy but cannot change it."""
    response = viewer_client.get(AUTORETRY)
    assert response.status_code == 200
    assert "fieldset disabled" in response.content.decode()
    assert viewer_client.post(AUTORETRY, {"enabled": "on"}).status_code == 403
    assert not AutoRetryPolicy.current().enabled


@pytest.mark.django_db
def test_autoretry_page__operators_enable_it_and_it_is_audited(operator_client, operator):
    """An operator enables auto-retry; the change is in the audit trail."""
    response = operator_client.post(
        AUTORETRY,
        {
            "enabled": "on",
            "codes": ["UNABLE_TO_LOCK_ROW"],
            "max_attempts": "4",
            "backoff_minutes": "10",
            "max_age_hours": "12",
        },
    )
    assert response.status_code == 302
    assert _message(response) == "Auto-retry enabled."
    policy = AutoRetryPolicy.current()
    assert (policy.enabled, policy.max_attempts, policy.backoff_minutes) == (True, 4, 10)
    assert AuditEntry.objects.get().action == "autoretry-policy"
    assert "enabled" in operator_client.get(AUTORETRY).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"codes": ["FIELD_CUSTOM_VALIDATION_EXCEPTION"]},
        {"max_attempts": "0"},
        {"backoff_minutes": "-5"},
        {"codes": []},
    ],
)
def test_autoretry_page__invalid_input_is_a_400(operator_client, data):
    """Bad values are reported; the policy is unchanged."""
    valid = {
        "enabled": "on",
        "codes": ["UNABLE_TO_LOCK_ROW"],
        "max_attempts": "3",
        "backoff_minutes": "5",
        "max_age_hours": "24",
    }
    response = operator_client.post(AUTORETRY, {**valid, **data})
    assert response.status_code == 400
    assert "Please fix" in response.content.decode()
    assert not AutoRetryPolicy.current().enabled
    assert not AuditEntry.objects.exists()
