"""The retry / ignore pages (confirm, then act) and the auto-retry policy page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from app.audit.models import AuditEntry, AutoRetryPolicy
from app.dashboard import confirmations, errors
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.app.dashboard.confirming import confirm, confirm_and_perform, confirmation_token
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
    confirmed = confirmations.read(
        confirmation_token(response), action="retry", user=response.wsgi_request.user
    )
    assert (confirmed.kind, confirmed.count) == ("filter", 4)
    assert confirmed.params == {"group": _group(LOCK), "source": "both", "state": "FAILED"}
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
    confirmed = confirmations.read(
        confirmation_token(response), action="ignore", user=response.wsgi_request.user
    )
    assert confirmed.params == {"ids": [f"live:{first.pk}", f"archive:{second.pk}"]}
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
    params = {"group": _group(LOCK), "source": "both"}
    response = confirm_and_perform(operator_client, "retry", params)
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
    token = confirm(operator_client, "retry", {"scope": "ids", "id": f"live:{log.pk}"})
    operator_client.post(RETRY, {"confirmation": token})
    response = operator_client.post(RETRY, {"confirmation": token})
    message = _message(response).split(" | ")[-1]  # after the first action's message
    assert message.startswith("Retried 0 failed writes")
    assert "1 of the 1 confirmed were no longer FAILED" in message


@pytest.mark.django_db
def test_ignore__ids_and_next(operator_client):
    """Ignore by ids, back to a local ``next`` URL."""
    first, second = make_log(), make_log()
    response = confirm_and_perform(
        operator_client, "ignore", {"id": [f"live:{first.pk}"]}, next="/failures/?table=account"
    )
    assert response["Location"] == "/failures/?table=account"
    assert _message(response) == "Ignored 1 failed write (live: 1, archived: 0)."
    assert states() == {first.pk: "IGNORED", second.pk: "FAILED"}


@pytest.mark.django_db
def test_ignore__foreign_next_is_not_followed(operator_client):
    """An off-site ``next`` is replaced by the failure list (no open redirect)."""
    log = make_log()
    response = confirm_and_perform(
        operator_client, "ignore", {"id": f"live:{log.pk}"}, next="https://evil.example/"
    )
    assert response["Location"] == reverse("dashboard:failures")
    assert states() == {log.pk: "IGNORED"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"scope": "ids", "id": "live:1 OR 1=1"},
        {"scope": "ids", "id": ["live:1", "table:2"]},
        {"scope": "ids"},
        {"scope": "everything"},
        {"scope": "filter"},
        {},
        {"ids": "live:1", "table": "account"},
        {"scope": "filter", "group": "UNABLE_TO_LOCK_ROW.not-base64!"},
        {"scope": "filter", "since": "yesterday"},
        {"scope": "filter", "source": "elsewhere"},
        {"scope": "filter", "table": "account; drop table x"},
        {"scope": "ids", "id": "live:1", "write_algorithm": "fastest"},
    ],
)
def test_tampered_input__confirmation_is_a_400_and_changes_nothing(operator_client, data):
    """Tampered, missing or ambiguous selections: the confirmation page answers 400 with a
    message; no row changes, nothing is audited."""
    log = make_log()
    for url in (RETRY_CONFIRM, IGNORE_CONFIRM):
        response = operator_client.post(url, data)
        assert response.status_code == 400
        assert "Nothing was changed" in response.content.decode()
    assert states() == {log.pk: "FAILED"}
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_perform__only_the_write_algorithm_is_taken_from_the_form(operator_client):
    """An unknown write algorithm next to a valid confirmation is a 400 too."""
    log = make_log()
    token = confirm(operator_client, "retry", {"id": f"live:{log.pk}", "write_algorithm": "merged"})
    response = operator_client.post(RETRY, {"confirmation": token, "write_algorithm": "fastest"})
    assert response.status_code == 400
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_perform__a_selection_that_grew_asks_again_and_changes_nothing(operator_client, operator):
    """More FAILED rows than confirmed: 409 with the new count and a new confirmation; nothing
    changes until that one is posted."""
    first = make_log(sf_message=VALIDATION)
    params = {"table": "account", "source": "live"}
    token = confirm(operator_client, "ignore", params)
    second = make_log(sf_message=VALIDATION)  # a new failure of the same selection
    response = operator_client.post(IGNORE, {"confirmation": token})
    assert response.status_code == 409
    html = response.content.decode()
    assert "more than the 1 you confirmed" in html
    assert "Ignore 2 FAILED writes" in html
    assert states() == {first.pk: "FAILED", second.pk: "FAILED"}
    assert not AuditEntry.objects.exists()
    response = operator_client.post(IGNORE, {"confirmation": confirmation_token(response)})
    assert response.status_code == 302
    assert states() == {first.pk: "IGNORED", second.pk: "IGNORED"}
    assert AuditEntry.objects.get().row_count == 2


@pytest.mark.django_db
def test_perform__fewer_rows_than_confirmed_is_fine(operator_client):
    """Rows handled meanwhile only shrink the selection: the rest is changed and reported."""
    first, second = make_log(), make_log()
    token = confirm(operator_client, "ignore", {"ids": f"live:{first.pk} live:{second.pk}"})
    TriggerLog.objects.filter(pk=first.pk).update(state="SUCCESS")
    response = operator_client.post(IGNORE, {"confirmation": token})
    assert response.status_code == 302
    assert "1 of the 2 confirmed were no longer FAILED" in _message(response)
    assert states() == {first.pk: "SUCCESS", second.pk: "IGNORED"}


@pytest.mark.django_db
def test_confirm__many_ids_travel_in_one_field(operator_client, settings):
    """Ids separated by commas or spaces in one field: 1,200 ids (more than Django's 1,000
    fields) are confirmed, and above MAX_EXPLICIT_IDS the app's own message is shown."""
    log = make_log()
    many = ",".join(f"live:{n}" for n in range(log.pk, log.pk + 1200))
    response = operator_client.post(IGNORE_CONFIRM, {"ids": many})
    assert response.status_code == 200
    assert "Ignore 1 FAILED write: 1200 selected rows (live: 1200, archived: 0)" in (
        response.content.decode()
    )
    too_many = " ".join(f"archive:{n}" for n in range(1, 5002))
    response = operator_client.post(IGNORE_CONFIRM, {"ids": too_many})
    assert response.status_code == 400
    assert "Too many rows selected (5,001); select at most 5,000" in response.content.decode()
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_retry__unreachable_api_changes_nothing_then_explicit_choice_works(operator_client):
    """The API is down: 503 with the choice; choosing merged writes then retries."""
    log = make_log()
    with unreachable_api(token="secret-test-token"):
        token = confirm(operator_client, "retry", {"id": f"live:{log.pk}"})
        data = {"confirmation": token, "write_algorithm": "auto"}
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
    data = {"id": [f"live:{live.pk}", f"live:{missing.pk}"], "write_algorithm": "ordered"}
    response = confirm_and_perform(operator_client, "retry", data, write_algorithm="ordered")
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
