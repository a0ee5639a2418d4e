"""/health/ and the connections pages classify states through the ONE state table.

Against the simulator: every connection state and every mapping state is set, the status is
refreshed as the beat task does, and the connections page's health class and /health/'s answer
are compared through the documented rule (README, "Health endpoint"):

===========================  =============================================
health class (pages)         /health/ ``heroku_connect``
===========================  =============================================
healthy                      ``OK`` (200)
transient, warning, unknown  ``Warning: ...`` (200 with a warning)
unhealthy, setup_needed      ``Unavailable: ...`` (500)
===========================  =============================================
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from app.connections import services
from app.health import heartbeat
from heroku_connect import states
from heroku_connect.mapping import get_mapping
from heroku_connect.simulator.control import ControlClient

pytestmark = pytest.mark.simulator(import_seconds=0.1)

EXPECTED = {
    "healthy": (200, "OK"),
    "transient": (200, "Warning"),
    "warning": (200, "Warning"),
    "unknown": (200, "Warning"),
    "unhealthy": (500, "Unavailable"),
    "setup_needed": (500, "Unavailable"),
}


@pytest.fixture
def watched(simulator, settings):
    """The simulator with one imported mapping; /health/ asks it on every request; a worker
    heartbeat so that only Heroku Connect decides the status."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0
    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    heartbeat.beat()
    return ControlClient(simulator.base_url)


def _page_and_health(viewer_client, client) -> tuple[dict, int, str]:
    run = services.refresh_status(client=services.make_client())
    assert run.ok, run.error_message
    (connection,) = viewer_client.get(reverse("connections:status_json")).json()["connections"]
    health = client.get("/health/?format=json")
    return connection, health.status_code, health.json()["heroku_connect"]


def _outcome(message: str) -> str:
    return message.split(":")[0]


def test_agreement__every_connection_state(watched, viewer_client, client):
    """For each documented connection state the page's class and /health/ agree."""
    seen = set()
    for state in states.ConnectionState:
        watched.set_connection_state(state)
        connection, status, message = _page_and_health(viewer_client, client)
        assert connection["state"] == state
        assert connection["health"] == states.connection_health(state)
        assert (status, _outcome(message)) == EXPECTED[connection["health"]], (state, message)
        if connection["health"] != "healthy":
            assert f"Connection state for '{connection['name']}' is '{state}'" in message
        seen.add(connection["health"])
    assert seen == set(EXPECTED) - {"unknown"}


def test_agreement__every_mapping_state(watched, viewer_client, client):
    """For each documented mapping state the page's class and /health/ agree."""
    watched.set_connection_state("IDLE")
    object_name = get_mapping()["mappings"][0]["object_name"]
    for state in states.MappingState:
        watched.set_mapping_state(object_name, state)
        connection, status, message = _page_and_health(viewer_client, client)
        (mapping,) = [m for m in connection["mappings"] if m["object_name"] == object_name]
        assert mapping["health"] == states.mapping_health(state)
        assert (status, _outcome(message)) == EXPECTED[mapping["health"]], (state, message)


def test_agreement__changing_the_table_changes_both(watched, viewer_client, client, monkeypatch):
    """Reclassify PAUSED in the library's table: the page AND /health/ follow, so neither
    keeps a classification of its own."""
    watched.set_connection_state("PAUSED")
    connection, status, message = _page_and_health(viewer_client, client)
    assert (connection["health"], status, message) == (
        "warning",
        200,
        f"Warning: Connection state for '{connection['name']}' is 'PAUSED'",
    )
    monkeypatch.setitem(
        states.CONNECTION_HEALTH, states.ConnectionState.PAUSED, states.HealthClass.UNHEALTHY
    )
    connection, status, message = _page_and_health(viewer_client, client)
    assert (connection["health"], status, message) == (
        "unhealthy",
        500,
        f"Unavailable: Connection state for '{connection['name']}' is 'PAUSED'",
    )


def test_health__simulated_500_names_the_status(watched, client):
    """The API answering 500: /health/ fails and names HTTP 500."""
    watched.set_faults(status=500)
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert response.json()["heroku_connect"] == (
        "Unexpected Result: Unable to retrieve connection state: "
        "the Heroku Connect API answered HTTP 500"
    )


def test_health__hanging_api_answered_from_the_last_answer(watched, client, settings):
    """With the app's cache on, a hanging API does not hold /health/: the last answer is served
    at once (its age noted when it is a problem) and one call goes to the API."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0.5
    assert client.get("/health/?format=json").json()["heroku_connect"] == "OK"
    time.sleep(0.6)
    watched.set_faults(timeout=True, timeout_seconds=30)
    before = watched.status()["api_requests"]
    for _ in range(5):
        started = time.monotonic()
        response = client.get("/health/?format=json")
        assert time.monotonic() - started < 1.5
        assert response.status_code == 200
        assert response.json()["heroku_connect"] == "OK"
    time.sleep(0.2)
    assert watched.status()["api_requests"] == before + 1
    watched.clear_faults()


def test_health_class__model_choices_are_the_library_classes():
    """The pages store and label the library's classes: same values, labels and order."""
    from app.connections.models import HealthClass

    assert HealthClass.choices == [(h.value, h.label) for h in states.HealthClass]
