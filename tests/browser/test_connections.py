"""Connections dashboard in Chromium: diff -> import with live progress -> done; API banner."""

from __future__ import annotations

import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from app.celery import app as celery_app
from app.connections import services
from heroku_connect.mapping import get_mapping

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.simulator(import_seconds=1.5),
]


@pytest.fixture
def operator(django_user_model):
    user = django_user_model.objects.create_user("mapper", password="pw-mapper")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="dashboard",
            codename__in=["view_dashboard", "manage_mappings"],
        )
    )
    return user


def test_diff_import_live_progress_done(simulator, operator, login, live_server, page, settings):
    """The diff shows drift; importing shows live progress until Done; then no drift."""
    settings.CONNECTIONS_IMPORT_POLL_FIRST = 0.2
    assert services.refresh_status(client=services.make_client()).ok
    login("mapper", "pw-mapper")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        page.goto(f"{live_server.url}/connections/diff/")
        expect(page.get_by_test_id("diff-summary")).to_contain_text("added")
        page.get_by_role("link", name="Import mapping…").click()
        expect(page.locator("h1")).to_contain_text("Import the code's mapping")
        page.get_by_test_id("confirm-import").click()
        progress = page.get_by_test_id("import-state")
        expect(progress).to_have_text("Waiting for Heroku Connect", timeout=10_000)
        expect(progress).to_have_text("Done", timeout=20_000)
        expect(page.get_by_test_id("import-progress")).not_to_have_attribute(
            "data-poll-url", re.compile(".*")
        )
        polls: list[str] = []
        page.on("request", lambda request: polls.append(request.url))
        page.wait_for_timeout(1500)
        assert polls == []  # the 286 stopped the polling
    page.goto(f"{live_server.url}/connections/diff/")
    expect(page.get_by_test_id("no-diff")).to_be_visible()


def test_api_failure_banner(simulator, operator, login, live_server, page):
    """A failed refresh shows a banner naming the problem and marks the data stale."""
    assert services.refresh_status(client=services.make_client()).ok
    simulator.state.set_faults(unauthorized=True)
    assert not services.refresh_status(client=services.make_client()).ok
    login("mapper", "pw-mapper")
    page.goto(f"{live_server.url}/connections/")
    banner = page.get_by_test_id("api-failure")
    expect(banner).to_contain_text("refused the token")
    expect(page.get_by_test_id("freshness")).to_contain_text("stale")
    assert simulator.token not in page.content()


def test_refresh_now_fills_an_empty_connections_page(simulator, operator, login, live_server, page):
    """Before any refresh the page is empty; 'Refresh now' brings the connection and its
    mappings at once, and the page says so."""
    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    login("mapper", "pw-mapper")
    page.goto(f"{live_server.url}/connections/")
    expect(page.get_by_test_id("freshness")).to_contain_text("Never refreshed yet")
    page.get_by_test_id("refresh-now").click()
    expect(page.locator(".message.success")).to_have_text("Status refreshed: 1 connection.")
    expect(page.locator(f'[data-connection="{simulator.connection_id}"]')).to_be_visible()
    expect(page.locator("tr[data-mapping=Contact]")).to_be_visible()
    expect(page.get_by_test_id("freshness")).to_contain_text("Updated")
    assert page.url == f"{live_server.url}/connections/"
