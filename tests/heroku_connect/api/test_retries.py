"""Transient API failures: idempotent calls are retried with backoff within the time budget.

Against a real local HTTP server (scripted replies) and the simulator's fault injection; nothing
in ``requests`` is patched.
"""

from __future__ import annotations

import datetime
import email.utils
import time

import pytest

from heroku_connect.api import (
    APIBudgetExhausted,
    APIHTTPError,
    APIUnavailableError,
    HerokuConnectClient,
    retry_after_seconds,
)
from heroku_connect.simulator.control import ControlClient
from tests.heroku_connect.api.fake_api import Reply

CONNECTION = {"id": "c-1", "name": "hcop", "state": "IDLE", "features": {}}
PATH = "/connections/c-1"


@pytest.fixture
def client(fake_api, settings):
    settings.HEROKU_CONNECT_API_RETRY_BACKOFF = 0.01
    with HerokuConnectClient() as client:
        yield client


def _gets(fake_api) -> int:
    return sum(1 for r in fake_api.requests if r.method == "GET")


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get__transient_status_is_retried_until_it_answers(fake_api, client, status):
    """A GET answered 429/502/503/504 is sent again; the third answer (200) is returned."""
    fake_api.add("GET", PATH, Reply(status), Reply(status), Reply(200, CONNECTION))
    assert client.get_connection("c-1")["id"] == "c-1"
    assert _gets(fake_api) == 3


def test_get__gives_up_after_the_retries_with_the_last_answer(fake_api, client, settings):
    """After HEROKU_CONNECT_API_RETRIES retries the last error is raised, naming the attempts."""
    settings.HEROKU_CONNECT_API_RETRIES = 3
    fake_api.add("GET", PATH, status=503, body={"message": "Overloaded"})
    with pytest.raises(APIHTTPError, match="503 after 4 attempts.*Overloaded") as caught:
        client.get_connection("c-1")
    assert caught.value.status_code == 503
    assert _gets(fake_api) == 4


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_get__other_errors_are_not_retried(fake_api, client, status):
    """Errors that another try would not change (4xx, a plain 500) are raised at once."""
    fake_api.add("GET", PATH, Reply(status), Reply(200, CONNECTION))
    with pytest.raises(APIHTTPError):
        client.get_connection("c-1")
    assert _gets(fake_api) == 1


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("POST", lambda c: c.import_mapping("c-1", {"mappings": []})),
        ("POST", lambda c: c.pause_connection("c-1")),
        ("PATCH", lambda c: c.patch_connection("c-1", name="x")),
        ("DELETE", lambda c: c.delete_mapping("m-1")),
    ],
)
def test_non_idempotent__never_retried(fake_api, client, method, call):
    """POST, PATCH and DELETE are sent once even when the answer says "try again"."""
    for path in ("/connections/c-1/actions/import", "/connections/c-1/actions/pause", PATH):
        fake_api.add(method, path, Reply(503), Reply(200, CONNECTION))
    fake_api.add("DELETE", "/mappings/m-1", Reply(503), Reply(204))
    with pytest.raises(APIHTTPError, match="503"):
        call(client)
    assert len(fake_api.requests) == 1


def test_get__read_timeout_is_not_retried(fake_api, settings):
    """A slow answer (read timeout) is not sent again: the API got it and is just slow."""
    fake_api.add("GET", PATH, body=CONNECTION, delay=0.6)
    with (
        HerokuConnectClient(timeout=0.2) as client,
        pytest.raises(APIUnavailableError, match=r"within 0\.2 s"),
    ):
        client.get_connection("c-1")
    assert _gets(fake_api) == 1


def test_retry_after__seconds_are_waited_for(fake_api, client):
    """``Retry-After: 1`` makes the retry wait at least one second."""
    fake_api.add("GET", PATH, Reply(429, headers={"Retry-After": "1"}), Reply(200, CONNECTION))
    started = time.monotonic()
    client.get_connection("c-1")
    assert time.monotonic() - started >= 1.0
    assert _gets(fake_api) == 2


def test_retry_after__an_http_date_is_waited_for(fake_api, client):
    """``Retry-After`` as an HTTP date waits until then."""
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
    header = email.utils.format_datetime(when, usegmt=True)
    fake_api.add("GET", PATH, Reply(503, headers={"Retry-After": header}), Reply(200, CONNECTION))
    started = time.monotonic()
    client.get_connection("c-1")
    assert time.monotonic() - started >= 0.9  # the date has a one-second resolution
    assert _gets(fake_api) == 2


def test_retry_after__longer_than_the_max_wait_is_not_waited_for(fake_api, client, settings):
    """A ``Retry-After`` beyond HEROKU_CONNECT_API_RETRY_MAX_WAIT gives up at once."""
    settings.HEROKU_CONNECT_API_RETRY_MAX_WAIT = 5
    fake_api.add("GET", PATH, Reply(429, headers={"Retry-After": "60"}), Reply(200, CONNECTION))
    started = time.monotonic()
    with pytest.raises(APIHTTPError, match="429"):
        client.get_connection("c-1")
    assert time.monotonic() - started < 1
    assert _gets(fake_api) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("soon", None), ("", None)],
)
def test_retry_after_seconds__parses_seconds_and_dates(header, expected):
    """Delay-seconds and HTTP dates (relative to now) are understood; anything else is None."""
    now = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.UTC)
    assert retry_after_seconds(header, now=now) == expected


def test_deadline__bounds_a_slow_call_below_its_own_timeout(fake_api):
    """With a deadline, a call's timeout is the time left, and the error says so."""
    fake_api.add("GET", PATH, body=CONNECTION, delay=2.0)
    started = time.monotonic()
    with (
        HerokuConnectClient(timeout=10, deadline=time.monotonic() + 0.4) as client,
        pytest.raises(APIBudgetExhausted, match="time budget"),
    ):
        client.get_connection("c-1")
    assert time.monotonic() - started < 1.5


def test_deadline__used_up_sends_nothing(fake_api):
    """A client whose budget is spent raises at once, without a request."""
    with (
        HerokuConnectClient(deadline=time.monotonic() - 1) as client,
        pytest.raises(APIBudgetExhausted, match="used up"),
    ):
        client.get_connection("c-1")
    assert fake_api.requests == []


def test_deadline__no_retry_that_cannot_finish_in_time(fake_api):
    """A ``Retry-After`` longer than the budget left is not waited for: the error comes now."""
    fake_api.add("GET", PATH, Reply(503, headers={"Retry-After": "3"}), Reply(200, CONNECTION))
    started = time.monotonic()
    with (
        HerokuConnectClient(deadline=time.monotonic() + 1.0) as client,
        pytest.raises(APIHTTPError, match="503"),
    ):
        client.get_connection("c-1")
    assert time.monotonic() - started < 0.5
    assert _gets(fake_api) == 1


def test_api_budget_exhausted__is_an_unavailable_error():
    """Callers that handle "API unavailable" handle a spent budget too."""
    assert issubclass(APIBudgetExhausted, APIUnavailableError)


# --- against the simulator's fault injection ------------------------------------------------


def test_simulator__transient_503s_then_an_answer(simulator, settings):
    """Two injected 503s (with Retry-After) are ridden out: three requests, one result."""
    settings.HEROKU_CONNECT_API_RETRY_BACKOFF = 0.01
    control = ControlClient(simulator.base_url)
    control.reset_request_counts()
    control.set_faults(status=503, retry_after=0, times=2)
    with HerokuConnectClient(simulator.api_url, simulator.token) as client:
        assert client.get_connection(simulator.connection_id)["id"] == simulator.connection_id
    path = f"/api/v3/connections/{simulator.connection_id}"
    assert control.request_counts() == {f"GET {path}": 3}


def test_simulator__dropped_connection_retried_for_get_not_for_post(simulator, settings):
    """A connection closed without an answer: a GET is sent again, a POST is not."""
    settings.HEROKU_CONNECT_API_RETRY_BACKOFF = 0.01
    control = ControlClient(simulator.base_url)
    control.reset_request_counts()
    path = f"/api/v3/connections/{simulator.connection_id}"
    with HerokuConnectClient(simulator.api_url, simulator.token) as client:
        control.set_faults(drop=True, times=1)
        client.get_connection(simulator.connection_id)
        control.set_faults(drop=True, times=1)
        with pytest.raises(APIUnavailableError, match="unreachable"):
            client.pause_connection(simulator.connection_id)
    assert control.request_counts() == {f"GET {path}": 2, f"POST {path}/actions/pause": 1}
    assert simulator.state.connection_state != "PAUSED"
