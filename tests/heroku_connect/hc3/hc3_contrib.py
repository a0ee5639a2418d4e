"""The health-check contrib under django-health-check 3.21+ (INSTALLED_APPS registration)."""

from __future__ import annotations

from collections.abc import Iterator

import health_check
import pytest
from django.core.cache import cache
from health_check.exceptions import (
    ServiceReturnedUnexpectedResult,
    ServiceUnavailable,
    ServiceWarning,
)
from health_check.mixins import CheckMixin
from health_check.plugins import plugin_dir

from heroku_connect.contrib.heroku_connect_health_check.backends import HerokuConnectHealthCheck
from tests.heroku_connect.api.fake_api import FakeConnectAPI, serving


@pytest.fixture
def fake_api(settings) -> Iterator[FakeConnectAPI]:
    with serving(FakeConnectAPI()) as api:
        settings.HEROKU_CONNECT_API_ENDPOINT = api.api_url
        settings.HEROKU_AUTH_TOKEN = "hc3-secret-token"
        cache.clear()
        api.add("GET", "/connections", body={"results": [{"id": "c-1", "name": "hcop"}]})
        yield api


def _connection(api: FakeConnectAPI, state: str = "IDLE", mapping: str = "DATA_SYNCED") -> None:
    api.add(
        "GET",
        "/connections/c-1",
        body={"state": state, "mappings": [{"object_name": "Contact", "state": mapping}]},
    )


def _messages(check: HerokuConnectHealthCheck) -> list[tuple[type, str]]:
    return [(type(error), error.message) for error in check.errors]


def test_hc3__running_a_3x_release():
    """This run really uses django-health-check 3.21+ (not 4.x)."""
    major, minor = (int(part) for part in health_check.__version__.split(".")[:2])
    assert (major, minor) >= (3, 21)
    assert major == 3


def test_hc3__registered_through_installed_apps():
    """Adding the contrib app registers the check in plugin_dir under 'Heroku Connect'."""
    assert (HerokuConnectHealthCheck, {}) in plugin_dir._registry
    assert list(CheckMixin().plugins) == ["Heroku Connect"]


def test_hc3__healthy_connection_has_no_errors(fake_api):
    """run_check() on a healthy API collects no error."""
    _connection(fake_api)
    check = HerokuConnectHealthCheck()
    check.run_check()
    assert check.errors == []
    assert check.pretty_status() == "OK"


def test_hc3__check_status_collects_errors_with_message(fake_api):
    """check_status() adds one error per problem (a paused connection is a warning, as the
    state table classes it); each has .message."""
    _connection(fake_api, state="PAUSED", mapping="BAD_CONFIG")
    check = HerokuConnectHealthCheck()
    check.check_status()
    assert _messages(check) == [
        (ServiceWarning, "Connection state for 'hcop' is 'PAUSED'"),
        (ServiceUnavailable, "mapping Contact on connection hcop is in state BAD_CONFIG"),
    ]


def test_hc3__unknown_state_is_a_warning(fake_api):
    """An unknown mapping state is a ServiceWarning naming it."""
    _connection(fake_api, mapping="TELEPORTING")
    check = HerokuConnectHealthCheck()
    check.run_check()
    ((kind, message),) = _messages(check)
    assert kind is ServiceWarning
    assert "TELEPORTING" in message


def test_hc3__missing_configuration_raises(settings):
    """No token: check_status raises ServiceUnavailable with the documented text."""
    settings.HEROKU_AUTH_TOKEN = ""
    with pytest.raises(ServiceUnavailable) as caught:
        HerokuConnectHealthCheck().check_status()
    assert caught.value.message == "Both App Name and Auth Token are required"


def test_hc3__api_error_is_unexpected_result(fake_api):
    """An HTTP error: ServiceReturnedUnexpectedResult naming the status, never the token."""
    fake_api.add("GET", "/connections", status=500, body={"message": "hc3-secret-token"})
    with pytest.raises(ServiceReturnedUnexpectedResult) as caught:
        HerokuConnectHealthCheck().check_status()
    assert caught.value.message == (
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 500"
    )
    check = HerokuConnectHealthCheck()
    check.run_check()
    assert "hc3-secret-token" not in check.pretty_status()


def test_hc3__check_mixin_reports_through_plugin_dir(fake_api):
    """The 3.x machinery (CheckMixin over plugin_dir) reports the problem."""
    _connection(fake_api, state="NEED_AUTHENTICATION")
    errors = CheckMixin().run_check()
    assert [error.message for error in errors] == [
        "Connection state for 'hcop' is 'NEED_AUTHENTICATION'"
    ]


def test_hc3__each_check_asks_the_api_again(fake_api):
    """No cache setting: a new check sees a state change at once (like the public package)."""
    _connection(fake_api, state="SYSTEM_ERROR")
    first = HerokuConnectHealthCheck()
    first.run_check()
    _connection(fake_api, state="IDLE")
    second = HerokuConnectHealthCheck()
    second.run_check()
    assert [kind for kind, _ in _messages(first)] == [ServiceUnavailable]
    assert second.errors == []


def test_hc3__answers_shared_when_the_cache_setting_is_on(fake_api, settings):
    """With HEROKU_CONNECT_HEALTH_CACHE_SECONDS the 3.x check reuses the API's answer."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
    _connection(fake_api, state="SYSTEM_ERROR")
    for _ in range(3):
        check = HerokuConnectHealthCheck()
        check.run_check()
        assert [kind for kind, _ in _messages(check)] == [ServiceUnavailable]
    assert len(fake_api.requests) == 2  # one list + one deep GET
