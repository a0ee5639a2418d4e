"""The Heroku Connect health check (django-health-check 4.x in this virtualenv)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import time

import pytest
from django.core.cache import cache
from health_check.exceptions import (
    ServiceReturnedUnexpectedResult,
    ServiceUnavailable,
    ServiceWarning,
)

from heroku_connect.contrib.heroku_connect_health_check.backends import HerokuConnectHealthCheck
from heroku_connect.health import Severity, connect_health
from tests.heroku_connect.api.fake_api import Reply


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """A private in-memory cache: the shared Redis must not be flushed or polluted."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "heroku-connect-health-tests",
        }
    }
    cache.clear()


def _serve(fake_api, *, state="IDLE", mappings=(("Contact", "DATA_SYNCED"),)) -> None:
    fake_api.add("GET", "/connections", body={"results": [{"id": "c-1", "name": "hcop"}]})
    fake_api.add(
        "GET",
        "/connections/c-1",
        body={
            "id": "c-1",
            "name": "hcop",
            "state": state,
            "mappings": [{"object_name": o, "state": s} for o, s in mappings],
        },
    )


def _wait_for(predicate, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _run(check: HerokuConnectHealthCheck) -> Exception | None:
    try:
        check.run()
    except Exception as error:  # noqa: BLE001 (the test inspects it)
        return error
    return None


def test_health_check__healthy_connection_passes(fake_api):
    """IDLE connection, synced mapping: run() passes; the deep GET sends deep=True."""
    _serve(fake_api)
    assert _run(HerokuConnectHealthCheck()) is None
    assert fake_api.paths() == ["GET /api/v3/connections", "GET /api/v3/connections/c-1"]
    assert fake_api.requests[1].query == {"deep": ["True"]}


def test_health_check__works_in_the_4x_result_machinery(fake_api):
    """get_result() (what HealthCheckView calls) reports no error for a healthy API."""
    _serve(fake_api)
    result = asyncio.run(HerokuConnectHealthCheck().get_result())
    assert result.error is None


def test_health_check__missing_configuration(fake_api, settings):
    """No token: 'Both App Name and Auth Token are required', and no API call."""
    settings.HEROKU_AUTH_TOKEN = ""
    error = _run(HerokuConnectHealthCheck())
    assert isinstance(error, ServiceUnavailable)
    assert error.message == "Both App Name and Auth Token are required"
    assert fake_api.requests == []


@pytest.mark.parametrize(
    ("state", "error_type"),
    [
        ("NEED_AUTHENTICATION", ServiceUnavailable),
        ("NEW", ServiceUnavailable),
        ("INACTIVE_ORG", ServiceUnavailable),
        ("SYSTEM_ERROR", ServiceUnavailable),
        ("DB_UNAVAILABLE", ServiceUnavailable),
        ("UNAUTHORIZED", ServiceUnavailable),
        ("PAUSED", ServiceWarning),
        ("RECOVERY", ServiceWarning),
    ],
)
def test_health_check__connection_state_by_its_health_class(fake_api, state, error_type):
    """Unhealthy and setup-needed states are unavailable, paused and in-progress ones warnings,
    all with the public package's message."""
    _serve(fake_api, state=state)
    error = _run(HerokuConnectHealthCheck())
    assert type(error) is error_type
    assert error.message == f"Connection state for 'hcop' is '{state}'"


@pytest.mark.parametrize("state", ["IDLE", "POLLING_DB_CHANGES", "BUSY", "IMPORT_CONFIGURATION"])
def test_health_check__healthy_connection_states_pass(fake_api, state):
    """The public package's OK connection states pass (an import does not fail the probe)."""
    _serve(fake_api, state=state)
    assert _run(HerokuConnectHealthCheck()) is None


@pytest.mark.parametrize(
    ("state", "error_type"),
    [
        ("BAD_CONFIG", ServiceUnavailable),
        ("SYSTEM_ERROR", ServiceUnavailable),
        ("INITIAL", ServiceWarning),
        ("RECOVERY", ServiceWarning),
    ],
)
def test_health_check__mapping_state_by_its_health_class(fake_api, state, error_type):
    """Error mapping states are unavailable, in-progress ones warnings, naming mapping and state."""
    _serve(fake_api, mappings=[("Account", "DATA_SYNCED"), ("Contact", state)])
    error = _run(HerokuConnectHealthCheck())
    assert type(error) is error_type
    assert error.message == f"mapping Contact on connection hcop is in state {state}"


def test_health_check__unknown_states_are_warnings_naming_them(fake_api):
    """Unknown connection and mapping states are a ServiceWarning that names them."""
    _serve(fake_api, state="FROBNICATING", mappings=[("Contact", "TELEPORTING")])
    error = _run(HerokuConnectHealthCheck())
    assert type(error) is ServiceWarning
    assert "'FROBNICATING'" in error.message
    assert "Contact" in error.message
    assert "TELEPORTING" in error.message


def test_health_check__unavailable_wins_over_warnings(fake_api):
    """A failing mapping plus an unknown one: unavailable, both messages listed."""
    _serve(fake_api, mappings=[("Contact", "BAD_CONFIG"), ("Account", "NEW_STATE")])
    error = _run(HerokuConnectHealthCheck())
    assert isinstance(error, ServiceUnavailable)
    assert "BAD_CONFIG" in error.message
    assert "NEW_STATE" in error.message


@pytest.mark.parametrize("failing", ["/connections", "/connections/c-1"])
def test_health_check__api_error_names_the_http_status_without_the_token(
    fake_api, settings, failing
):
    """A 500 on the list or the deep GET: the public package's text, then the HTTP status."""
    _serve(fake_api)
    fake_api.add("GET", failing, status=500, body={"message": settings.HEROKU_AUTH_TOKEN})
    error = _run(HerokuConnectHealthCheck())
    assert isinstance(error, ServiceReturnedUnexpectedResult)
    assert error.message == (
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 500"
    )
    assert settings.HEROKU_AUTH_TOKEN not in str(error)


def test_health_check__refused_token_names_401_and_a_hint(fake_api):
    """A 401 says so and points at the token."""
    fake_api.add("GET", "/connections", status=401, body={"message": "Invalid credentials"})
    error = _run(HerokuConnectHealthCheck())
    assert error.message == (
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 401 "
        "(check the API token)"
    )


def test_health_check__unreachable_and_invalid_answers_are_named(
    fake_api, settings, closed_port_url
):
    """No URL or host in the message: 'unreachable', or 'unexpected body' with the status."""
    fake_api.add("GET", "/connections", raw=b"<html>oops</html>")
    error = _run(HerokuConnectHealthCheck())
    assert error.message == (
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 200 with an "
        "unexpected body"
    )
    settings.HEROKU_CONNECT_API_ENDPOINT = closed_port_url
    error = _run(HerokuConnectHealthCheck())
    assert error.message == (
        "Unable to retrieve connection state: the Heroku Connect API is unreachable"
    )
    assert "127.0.0.1" not in error.message


def test_health_check__http_timeout_is_bounded(fake_api):
    """The HTTP timeout defaults to 10 s and a slower API is reported, not waited for."""
    assert HerokuConnectHealthCheck().timeout == datetime.timedelta(seconds=10)
    fake_api.add("GET", "/connections", Reply(200, {"results": []}, delay=1.0))
    check = HerokuConnectHealthCheck(timeout=datetime.timedelta(seconds=0.2))
    error = _run(check)
    assert isinstance(error, ServiceReturnedUnexpectedResult)
    assert error.message == (
        "Unable to retrieve connection state: the Heroku Connect API did not answer within 0.2 s"
    )


def test_health_check__timeout_bounds_all_calls_together(fake_api):
    """Several slow calls, each under the timeout, still fail once their sum exceeds it."""
    connections = [{"id": f"c-{i}", "name": f"c{i}"} for i in range(3)]
    fake_api.add("GET", "/connections", body={"results": connections})
    for i in range(3):
        fake_api.add("GET", f"/connections/c-{i}", Reply(200, {"state": "IDLE"}, delay=0.15))
    check = HerokuConnectHealthCheck(timeout=datetime.timedelta(seconds=0.35))
    assert isinstance(_run(check), ServiceReturnedUnexpectedResult)
    assert len(fake_api.requests) <= 4


def test_health_check__fresh_by_default(fake_api, settings):
    """Without HEROKU_CONNECT_HEALTH_CACHE_SECONDS each new check asks the API again, so a
    change between two checks is seen (as with the public package)."""
    del settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS
    _serve(fake_api, state="PAUSED")
    assert isinstance(_run(HerokuConnectHealthCheck()), ServiceWarning)
    _serve(fake_api, state="IDLE")
    assert _run(HerokuConnectHealthCheck()) is None
    assert len(fake_api.requests) == 4


def test_health_check__results_are_cached_when_the_setting_is_on(fake_api, settings):
    """Within HEROKU_CONNECT_HEALTH_CACHE_SECONDS the API is asked once."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
    _serve(fake_api, state="SYSTEM_ERROR")
    for _ in range(3):
        assert isinstance(_run(HerokuConnectHealthCheck()), ServiceUnavailable)
    assert len(fake_api.requests) == 2  # one list + one deep GET


def test_health_check__zero_cache_seconds_asks_every_time(fake_api, settings):
    """HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0 disables the cache."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0
    _serve(fake_api)
    _run(HerokuConnectHealthCheck())
    _run(HerokuConnectHealthCheck())
    assert len(fake_api.requests) == 4


def test_health_check__without_cache_a_recovery_shows_at_once(fake_api, settings):
    """With the cache off, the check after a failure asks again and can recover."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0
    _serve(fake_api)
    fake_api.add("GET", "/connections", Reply(500, {}), Reply(200, {"results": []}))
    assert isinstance(_run(HerokuConnectHealthCheck()), ServiceReturnedUnexpectedResult)
    assert _run(HerokuConnectHealthCheck()) is None


def test_health_check__failures_are_cached_briefly(fake_api, settings, monkeypatch):
    """With the cache on, a failed answer is reused for FAILURE_CACHE_SECONDS (15 s), not the
    full cache period; then the last answer is served, with its age, while one new call runs."""
    from heroku_connect import health

    assert health.FAILURE_CACHE_SECONDS == 15
    monkeypatch.setattr(health, "FAILURE_CACHE_SECONDS", 0.3)
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
    _serve(fake_api)
    fake_api.add("GET", "/connections", Reply(500, {}), Reply(200, {"results": []}))
    first = _run(HerokuConnectHealthCheck())
    assert isinstance(first, ServiceReturnedUnexpectedResult)
    assert isinstance(_run(HerokuConnectHealthCheck()), ServiceReturnedUnexpectedResult)
    assert len(fake_api.requests) == 1  # the failure was reused
    time.sleep(0.4)
    stale = _run(HerokuConnectHealthCheck())  # answered at once from the failed answer
    assert stale.message.startswith(first.message + " (as of 0 s ago; asking the API again)")
    _wait_for(lambda: len(fake_api.requests) == 2)
    _wait_for(lambda: _run(HerokuConnectHealthCheck()) is None)
    assert len(fake_api.requests) == 2


def test_health_check__cache_holds_no_secret(fake_api, settings):
    """The cached answer holds names and states only, never the token."""
    from heroku_connect.health import _cache_key

    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
    _serve(fake_api)
    _run(HerokuConnectHealthCheck())
    cached = cache.get(_cache_key(fake_api.api_url, "hcop-test"))
    mapping = {"object_name": "Contact", "state": "DATA_SYNCED"}
    assert cached["connections"] == [{"name": "hcop", "state": "IDLE", "mappings": [mapping]}]
    assert cached["failure"] is None
    assert settings.HEROKU_AUTH_TOKEN not in repr(cached)


def test_health_check__repr_names_heroku_connect_without_secrets(fake_api):
    """The repr (the report's key) names Heroku Connect and the app, never the token."""
    check = HerokuConnectHealthCheck(token="tok-very-secret", endpoint="https://x/api/v3")
    assert repr(check) == "Heroku Connect(app_name='hcop-test')"
    assert "tok-very-secret" not in repr(check)
    token_field = {f.name: f for f in dataclasses.fields(check)}["token"]
    assert token_field.repr is False


def test_connect_health__arguments_override_settings(fake_api):
    """connect_health() accepts explicit app, endpoint and token (no settings needed)."""
    fake_api.add("GET", "/connections", body={"results": []})
    assert connect_health(app_name="other", endpoint=fake_api.api_url, token="t") == []
    assert fake_api.requests[0].query == {"app": ["other"]}
    assert fake_api.requests[0].headers["Authorization"] == "Bearer t"
    assert Severity.WARNING == "warning"
