"""Fault injection and state control at runtime (control endpoint and client)."""

from __future__ import annotations

import time

import pytest
import requests

from heroku_connect.api import APIHTTPError, APIInvalidResponse, HerokuConnectClient
from heroku_connect.simulator.control import ControlClient, ControlError
from tests.heroku_connect.simulator.api_helpers import connection_url, document, session


@pytest.fixture
def control(simulator):
    return ControlClient(simulator.base_url)


def test_fault__latency_delays_answers(simulator, control):
    """latency: every API answer is late by that many seconds; clearing removes it."""
    control.set_faults(latency=0.4)
    started = time.monotonic()
    assert session(simulator).get(connection_url(simulator), timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.4
    control.clear_faults()
    started = time.monotonic()
    session(simulator).get(connection_url(simulator), timeout=5)
    assert time.monotonic() - started < 0.4


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_fault__status_answers_it_with_message(simulator, control, status):
    """status: the API answers that status with a {message}; control stays reachable."""
    control.set_faults(status=status)
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert response.status_code == status
    assert "message" in response.json()
    assert control.status()["faults"]["status"] == status
    control.clear_faults()
    assert session(simulator).get(connection_url(simulator), timeout=5).status_code == 200


def test_fault__timeout_outlasts_the_client(simulator, control):
    """timeout: the answer comes after timeout_seconds, so a client times out."""
    control.set_faults(timeout=True, timeout_seconds=3)
    with pytest.raises(requests.Timeout):
        session(simulator).get(connection_url(simulator), timeout=0.3)
    control.clear_faults()
    assert session(simulator).get(connection_url(simulator), timeout=5).status_code == 200


def test_status__counts_api_requests_faulted_or_not(simulator, control):
    """api_requests counts every authenticated API request (faulted ones too), not control calls."""
    before = control.status()["api_requests"]
    session(simulator).get(connection_url(simulator), timeout=5)
    control.set_faults(status=500)
    session(simulator).get(connection_url(simulator), timeout=5)
    control.clear_faults()
    assert control.status()["api_requests"] == before + 2


def test_fault__unauthorized_even_with_the_right_token(simulator, control):
    """unauthorized: 401 for every call, as when the token was revoked."""
    control.set_faults(unauthorized=True)
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert response.status_code == 401
    assert "message" in response.json()


def test_fault__invalid_json(simulator, control):
    """invalid_json: 200 with an HTML body the client cannot parse."""
    control.set_faults(invalid_json=True)
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert response.status_code == 200
    with pytest.raises(ValueError):  # noqa: PT011 (requests' JSONDecodeError)
        response.json()


def test_faults__seen_by_the_library_client(simulator, control):
    """The library's API client turns faults into its documented exceptions."""
    client = HerokuConnectClient(simulator.api_url, simulator.token)
    assert client.get_connection(simulator.connection_id)["id"] == simulator.connection_id
    control.set_faults(status=503)
    with pytest.raises(APIHTTPError) as excinfo:
        client.get_connection(simulator.connection_id)
    assert excinfo.value.status_code == 503
    control.clear_faults()
    control.set_faults(invalid_json=True)
    with pytest.raises(APIInvalidResponse):
        client.get_connection(simulator.connection_id)


def test_fault__times_limits_the_faults_to_the_next_requests(simulator, control):
    """times: the faults answer the next N API requests only, then clear themselves."""
    control.set_faults(status=503, times=2)
    statuses = [
        session(simulator).get(connection_url(simulator), timeout=5).status_code for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    assert not simulator.state.current_faults().active()


def test_fault__retry_after_header_with_the_status(simulator, control):
    """retry_after: the faulted status carries that Retry-After header (seconds or a date)."""
    control.set_faults(status=429, retry_after=3)
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    control.set_faults(status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert response.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"


def test_fault__drop_closes_the_connection_unanswered(simulator, control):
    """drop: the connection closes without an answer and the action does not run."""
    control.set_faults(drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        session(simulator).post(connection_url(simulator, "/actions/pause"), timeout=5)
    assert simulator.state.connection_state != "PAUSED"
    assert session(simulator).get(connection_url(simulator), timeout=5).status_code == 200


def test_control__request_counts(simulator, control):
    """Every API request is counted per method and path (faulted ones too, control ones not)."""
    control.reset_request_counts()
    path = connection_url(simulator).split(simulator.base_url, 1)[1]
    session(simulator).get(connection_url(simulator), timeout=5)
    control.set_faults(status=500, times=1)
    session(simulator).get(connection_url(simulator), timeout=5)
    session(simulator).post(connection_url(simulator, "/actions/pause"), timeout=5)
    control.status()
    assert control.request_counts() == {f"GET {path}": 2, f"POST {path}/actions/pause": 1}
    control.reset_request_counts()
    assert control.request_counts() == {}


@pytest.mark.parametrize(
    "body",
    [
        {"times": 0},
        {"drop": "yes"},
        {"latency": "slow"},
        {"latency": -1},
        {"status": 200},
        {"status": True},
        {"timeout": "yes"},
        {"explode": True},
    ],
)
def test_faults__bad_settings_are_400(simulator, body):
    """Unknown faults or wrong types answer 400 and change nothing."""
    response = requests.post(f"{simulator.base_url}/__simulator__/faults", json=body, timeout=5)
    assert response.status_code == 400
    assert "message" in response.json()
    assert not simulator.state.current_faults().active()


def test_control__connection_state(simulator, control):
    """Any connection state can be set; the API shows it; unknown states are 400."""
    for state in (
        "PAUSED",
        "SYSTEM_ERROR",
        "UNAUTHORIZED",
        "DB_UNAVAILABLE",
        "NEED_AUTHENTICATION",
    ):
        control.set_connection_state(state)
        body = session(simulator).get(connection_url(simulator), timeout=5).json()
        assert body["state"] == state
    with pytest.raises(ControlError, match="400"):
        control.set_connection_state("ASLEEP")


def test_control__mapping_state(simulator, control):
    """Mapping states (BAD_CONFIG, a stuck SCHEMA_CHANGED) are settable by object name."""
    simulator.import_mapping(document())
    simulator.wait_idle()
    control.set_mapping_state("contact", "BAD_CONFIG")
    body = session(simulator).get(connection_url(simulator, "?deep=true"), timeout=5).json()
    assert body["mappings"][0]["state"] == "BAD_CONFIG"
    control.set_mapping_state("Contact", "SCHEMA_CHANGED")
    with pytest.raises(TimeoutError, match="SCHEMA_CHANGED"):
        simulator.wait_idle(timeout=0.2)
    with pytest.raises(ControlError, match="404"):
        control.set_mapping_state("Account", "BAD_CONFIG")
    with pytest.raises(ControlError, match="400"):
        control.set_mapping_state("Contact", "SLEEPY")


def test_control__write_algorithm_and_notifications(simulator, control):
    """The write algorithm and notifications can be changed for demos."""
    control.set_write_algorithm("merged")
    body = session(simulator).get(connection_url(simulator), timeout=5).json()
    assert body["features"]["poll_db_no_merge"] is False
    control.notify("disk almost full", event_type="postgres-connection")
    notes = session(simulator).get(connection_url(simulator, "/notifications"), timeout=5).json()
    assert notes["results"][0]["message"] == "disk almost full"


def test_control__unreachable_simulator_is_one_line_error():
    """The control client reports an unreachable simulator in one line."""
    with pytest.raises(ControlError, match="cannot reach the simulator"):
        ControlClient("http://127.0.0.1:9", timeout=1).status()
