"""JSON endpoints: session or bearer-token auth, same data as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.dashboard import stats
from heroku_connect.models import TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log

pytestmark = pytest.mark.django_db

URLS = ["dashboard:api_overview", "dashboard:api_error_groups"]
TOKEN = "s3cret-api-token-for-tests"


@pytest.fixture
def api_token(settings):
    settings.DASHBOARD_API_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def seeded():
    make_log(table_name="contact", sf_message="entity is deleted")
    make_log(model=TriggerLogArchive, table_name="contact", sf_message="entity is deleted")
    make_log(table_name="contact", state="NEW")
    stats.refresh_stats()


@pytest.mark.parametrize("name", URLS)
def test_api__anonymous_is_401_json(client, name):
    """No session and no token: 401 JSON with a WWW-Authenticate header, not a redirect."""
    response = client.get(reverse(name))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("header", ["Bearer wrong", "Bearer ", "Basic abc", TOKEN])
def test_api__wrong_token_is_401(client, api_token, name, header):
    """Wrong, empty or non-bearer credentials are refused."""
    response = client.get(reverse(name), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert TOKEN not in response.content.decode()


def test_api__token_refused_when_none_configured(client, settings):
    """With no DASHBOARD_API_TOKEN configured, token access is off."""
    settings.DASHBOARD_API_TOKEN = ""
    response = client.get(reverse(URLS[0]), HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401


@pytest.mark.parametrize("name", URLS)
def test_api__session_without_permission_is_403(client, nobody, name):
    """A logged-in user without the view permission gets 403 JSON."""
    client.force_login(nobody)
    assert client.get(reverse(name)).status_code == 403


def test_api_overview__with_token(client, api_token, seeded):
    """The overview JSON carries the counts, the oldest wait, the rate buckets and top groups."""
    response = client.get(reverse(URLS[0]), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    data = response.json()
    assert data["totals"] == {"failed": 1, "archived_failed": 1, "pending": 0, "new": 1}
    assert data["tables"][0]["table_name"] == "contact"
    assert data["oldest_waiting_seconds"] >= 0
    assert len(data["error_rate"]["buckets"]) == 24
    assert data["error_rate"]["failed"] == 2
    assert data["top_groups"][0]["code"] == "ENTITY_IS_DELETED"
    assert data["stats_refreshed_at"]


def test_api_error_groups__with_session(viewer_client, seeded):
    """The error-group JSON lists the groups with key, counts, hint and a list URL."""
    response = viewer_client.get(reverse(URLS[1]) + "?table=contact")
    assert response.status_code == 200
    (group,) = response.json()["groups"]
    assert (group["code"], group["live_count"], group["archive_count"]) == (
        "ENTITY_IS_DELETED",
        1,
        1,
    )
    assert group["failures_url"].startswith("/failures/?group=ENTITY_IS_DELETED.")
    assert group["hint"]


def test_api__bad_parameters_are_400(viewer_client):
    """Bad range or filters answer 400 JSON."""
    assert viewer_client.get(reverse(URLS[0]) + "?range=5y").status_code == 400
    assert viewer_client.get(reverse(URLS[1]) + "?code=x;y").status_code == 400


def test_api__get_only(viewer_client):
    """The endpoints are read-only."""
    assert viewer_client.post(reverse(URLS[0])).status_code == 405
