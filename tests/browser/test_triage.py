"""Triage in a real browser: login -> overview -> error group -> retry with confirmation ->
success message -> the audit entry."""

from __future__ import annotations

import re

import pytest

from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.app.dashboard.connect_api import removing_new_connect_rows, serve_connections
from tests.app.dashboard.operators import make_operator
from tests.heroku_connect.trigger_log.factories import make_log

LOCK = "unable to obtain exclusive access to this record or 1 records: 0013000000AbCdE"


@pytest.fixture
def failures(transactional_db):
    """Five lock failures on account (four live, one archived) and one other failure."""
    with removing_new_connect_rows():
        locked = [make_log(sf_message=LOCK, record_id=n) for n in range(1, 5)]
        archived = make_log(model=TriggerLogArchive, sf_message=LOCK, record_id=5)
        other = make_log(sf_message="Amount must be positive", record_id=6)
        yield locked, archived, other


@pytest.fixture
def connect_api():
    with serve_connections() as state:
        yield state


@pytest.mark.django_db(transaction=True)
def test_triage__retry_an_error_group_and_find_it_in_the_audit_trail(
    page, live_server, login, failures, connect_api
):
    """An operator retries the UNABLE_TO_LOCK_ROW group after confirming; it is audited."""
    locked, archived, other = failures
    make_operator("olivia", password="pw-olivia-1")

    page.set_default_timeout(10_000)
    login("olivia", "pw-olivia-1")
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="Overview").is_visible()

    page.get_by_role("link", name="Error groups", exact=True).click()
    page.get_by_role("button", name="Refresh now").click()  # compute the groups now
    page.wait_for_load_state()
    group_row = page.locator("tr", has_text="UNABLE_TO_LOCK_ROW")
    assert "5" in group_row.locator("td.num strong").inner_text()
    group_row.get_by_role("link", name=re.compile("Retry group")).click()
    page.wait_for_load_state()

    headline = page.locator("#confirm-headline").inner_text()
    assert headline.startswith("Retry 5 FAILED writes: UNABLE_TO_LOCK_ROW")
    effects = page.locator("#effects").inner_text()
    assert "live: 4 -> NEW" in effects
    assert "archived: 1 copied back to the live log as NEW" in effects
    assert all(
        TriggerLog.objects.get(pk=log.pk).state == "FAILED" for log in locked
    )  # confirming is a separate step

    page.locator("#confirm-button").click()
    page.wait_for_load_state()
    message = page.locator(".message.success").inner_text()
    assert message == "Retried 5 failed writes (live: 4, archived: 1) with merged writes."
    assert {TriggerLog.objects.get(pk=log.pk).state for log in locked} == {"NEW"}
    assert TriggerLogArchive.objects.get(pk=archived.pk).state == "REQUEUED"
    assert TriggerLog.objects.get(pk=other.pk).state == "FAILED"

    page.get_by_role("link", name="Audit", exact=True).click()
    page.wait_for_load_state()
    row = page.locator("#audit-entries tbody tr").first
    text = row.inner_text()
    assert "olivia" in text
    assert "retry" in text
    assert "UNABLE_TO_LOCK_ROW" in text
    assert "5" in row.locator("td.num").inner_text()
    assert "ok" in text


@pytest.mark.django_db(transaction=True)
def test_failure_list__ticked_rows_are_confirmed_then_ignored(page, live_server, login, failures):
    """Select all on the page, "Ignore selected…": the rows travel in one field, the
    confirmation counts them, confirming ignores exactly them."""
    locked, archived, other = failures
    make_operator("olivia", password="pw-olivia-1")
    page.set_default_timeout(10_000)
    login("olivia", "pw-olivia-1")
    page.goto(f"{live_server.url}/failures/?source=live&table=account")
    posted: list[str] = []
    page.on(
        "request",
        lambda request: (
            posted.append(request.post_data or "")
            if request.method == "POST" and "/confirm/" in request.url
            else None
        ),
    )
    page.locator("input[data-select-all]").check()
    assert page.locator("input[name=ids]:checked").count() == 5  # four locked rows and other
    page.get_by_role("button", name="Ignore selected…").click()
    page.wait_for_load_state()

    (body,) = posted
    assert body.count("ids=") == 1  # one field, space separated
    assert page.locator("#confirm-headline").inner_text() == (
        "Ignore 5 FAILED writes: 5 selected rows (live: 5, archived: 0)"
    )
    page.locator("#confirm-button").click()
    page.wait_for_load_state()
    assert page.locator(".message.success").inner_text() == (
        "Ignored 5 failed writes (live: 5, archived: 0)."
    )
    assert {TriggerLog.objects.get(pk=log.pk).state for log in [*locked, other]} == {"IGNORED"}
    assert TriggerLogArchive.objects.get(pk=archived.pk).state == "FAILED"
    assert "/failures/?source=live&table=account" in page.url
