"""'Refresh now' on the connections pages, one refresh at a time, and the time budget."""

from __future__ import annotations

import psycopg
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from app.audit.models import AuditEntry
from app.connections import services
from app.connections.models import Connection, RefreshRun
from heroku_connect.test.simulator import dsn_from_settings_dict


@pytest.mark.simulator
def test_refresh_now__fetches_the_status_and_is_audited(simulator, viewer_client, viewer):
    """A viewer's POST fills Connections at once, records who did it and says what it found."""
    response = viewer_client.post(reverse("connections:refresh"))
    assert response.status_code == 302
    assert response["Location"] == reverse("connections:status")
    run = RefreshRun.objects.get()
    assert run.ok, run.error_message
    assert Connection.objects.get().connection_id == simulator.connection_id
    entry = AuditEntry.objects.get(action="connections.refresh")
    assert (entry.user, entry.outcome, entry.row_count) == (viewer, "ok", 1)
    assert entry.target == f"app {simulator.app_name}"
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert texts == ["Status refreshed: 1 connection."]
    page = viewer_client.get(reverse("connections:status")).content.decode()
    assert f'data-connection="{simulator.connection_id}"' in page


@pytest.mark.django_db
def test_refresh_now__a_failure_is_audited_and_explained(viewer_client, settings):
    """Without an app name the refresh fails: audited as an error, the banner says why."""
    settings.HEROKU_CONNECT_APP_NAME = ""
    response = viewer_client.post(reverse("connections:refresh"), follow=True)
    run = RefreshRun.objects.get()
    assert not run.ok
    entry = AuditEntry.objects.get(action="connections.refresh")
    assert entry.outcome == "error"
    assert "HEROKU_CONNECT_APP_NAME is not set" in entry.detail
    html = response.content.decode()
    assert "The status refresh failed (the banner below says why)." in html
    assert 'data-testid="api-failure"' in html
    assert "HEROKU_CONNECT_APP_NAME is not set" in html


@pytest.mark.django_db(transaction=True)
def test_refresh_now__while_another_refresh_runs_changes_nothing(viewer_client):
    """One refresh at a time (beat, a starting worker, this button): the second is refused
    without a run or an audit entry."""
    with psycopg.connect(dsn_from_settings_dict(connection.settings_dict)) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [services._REFRESH_LOCK_KEY])
        response = viewer_client.post(reverse("connections:refresh"))
        with pytest.raises(services.RefreshAlreadyRunning):
            services.refresh_status(client=services.make_client())
        other.execute("SELECT pg_advisory_unlock(%s)", [services._REFRESH_LOCK_KEY])
    assert not RefreshRun.objects.exists()
    assert not AuditEntry.objects.filter(action="connections.refresh").exists()
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert texts == ["A status refresh is already running; reload in a moment for its result."]
    # The lock is free again afterwards (released even when a refresh fails).
    assert not services.refresh_status(client=services.make_client()).ok
    assert not services.refresh_status(client=services.make_client()).ok


@pytest.mark.django_db
def test_refresh_now__returns_to_the_page_it_was_pressed_on(viewer_client, settings):
    settings.HEROKU_CONNECT_APP_NAME = ""
    diff = reverse("connections:diff")
    response = viewer_client.post(reverse("connections:refresh"), {"next": diff})
    assert response["Location"] == diff


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["connections:status", "connections:diff"])
def test_refresh_now__offered_on_the_connections_pages_before_any_data(viewer_client, page):
    """Before the first refresh (a fresh deploy) the pages offer the button, returning there."""
    html = viewer_client.get(reverse(page)).content.decode()
    assert 'data-testid="refresh-now"' in html
    assert f'action="{reverse("connections:refresh")}"' in html
    assert f'name="next" value="{reverse(page)}"' in html


@pytest.mark.simulator
def test_refresh_status__a_spent_time_budget_stops_before_the_next_connection(simulator):
    """A browser is waiting: past the budget no further connection is fetched, the run says
    how far it got, and nothing is marked removed."""
    run = services.refresh_status(client=services.make_client(), time_budget=0)
    assert not run.ok
    assert "stopped after 0 s with 0 of 1 connections refreshed" in run.error_message
    assert run.api_calls == 1
    assert not Connection.objects.exists()
