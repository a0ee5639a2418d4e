"""The public package's module-level API functions and the cached write-mode lookup."""

from __future__ import annotations

import time

import pytest
import requests

from heroku_connect import utils
from heroku_connect.states import WriteAlgorithm
from tests.heroku_connect.api.fake_api import Reply


def _reply(body: dict, status: int = 200) -> Reply:
    return Reply(status, body)


def _connections(*ordered: bool) -> dict:
    return {
        "results": [
            {"id": f"c-{i}", "state": "IDLE", "features": {"poll_db_no_merge": flag}}
            for i, flag in enumerate(ordered)
        ]
    }


def test_get_connections__url_encoded_app(fake_api):
    """get_connections GETs {ep}/connections?app=<app> (URL-encoded) and returns results."""
    fake_api.add("GET", "/connections", body=_connections(False))
    assert [c["id"] for c in utils.get_connections("my app")] == ["c-0"]
    assert fake_api.requests[0].query == {"app": ["my app"]}


def test_get_connection__deep_text_and_http_error(fake_api):
    """get_connection sends deep=True/False and raises requests.HTTPError on 404."""
    fake_api.add("GET", "/connections/c-0", body={"id": "c-0"})
    assert utils.get_connection("c-0", deep=True) == {"id": "c-0"}
    assert utils.get_connection("c-0") == {"id": "c-0"}
    assert [r.query["deep"] for r in fake_api.requests] == [["True"], ["False"]]
    with pytest.raises(requests.HTTPError):
        utils.get_connection("missing")


def test_import_mapping__posts_json(fake_api):
    """import_mapping POSTs the mapping to .../actions/import and returns None."""
    fake_api.add("POST", "/connections/c-0/actions/import", status=202)
    assert utils.import_mapping("c-0", {"version": 1}) is None
    assert fake_api.requests[0].json == {"version": 1}


def test_link_connection_to_account__posts(fake_api):
    """link_connection_to_account POSTs {ep}/users/me/apps/{app}/auth."""
    fake_api.add("POST", "/users/me/apps/hcop/auth", status=200, body={})
    utils.link_connection_to_account("hcop")
    assert fake_api.paths() == ["POST /api/v3/users/me/apps/hcop/auth"]


def test_authorization_headers__from_the_setting(settings):
    """_get_authorization_headers reads HEROKU_AUTH_TOKEN at call time."""
    settings.HEROKU_AUTH_TOKEN = "abc"
    assert utils._get_authorization_headers() == {"Authorization": "Bearer abc"}


def test_invalid_json__value_error(fake_api):
    """A body that is not JSON raises a ValueError subclass from the compat functions."""
    fake_api.add("GET", "/connections", raw=b"<html>")
    with pytest.raises(ValueError, match="invalid JSON"):
        utils.get_connections("hcop")


def test_write_modes__per_connection(fake_api):
    """get_all_connections_write_modes maps ids to WriteAlgorithm; one connection non-deep."""
    fake_api.add("GET", "/connections", body=_connections(True, False))
    fake_api.add("GET", "/connections/c-0", body=_connections(True)["results"][0])
    assert utils.get_all_connections_write_modes("hcop") == {
        "c-0": WriteAlgorithm.ORDERED_WRITES,
        "c-1": WriteAlgorithm.MERGE_WRITES,
    }
    assert utils.get_connection_write_mode("c-0") is WriteAlgorithm.ORDERED_WRITES
    assert fake_api.requests[-1].query == {"deep": ["False"]}


def test_unique_write_mode__app_name_from_settings_and_cached(fake_api):
    """Without app_name the setting is used; a second call is answered from the cache."""
    fake_api.add("GET", "/connections", body=_connections(True, True))
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.ORDERED_WRITES
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.ORDERED_WRITES
    assert len(fake_api.requests) == 1
    assert fake_api.requests[0].query == {"app": ["hcop-test"]}


def test_unique_write_mode__cache_expires_after_the_ttl(fake_api, settings):
    """The cache is bounded in time (HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS)."""
    settings.HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS = 0.2
    fake_api.add(
        "GET",
        "/connections",
        *[_reply(_connections(False)), _reply(_connections(True))],
    )
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.MERGE_WRITES
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.MERGE_WRITES
    time.sleep(0.3)
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.ORDERED_WRITES
    assert len(fake_api.requests) == 2


def test_unique_write_mode__default_ttl_is_300_seconds():
    """The default cache time is 300 s (not the life of the process)."""
    from django.conf import settings

    assert settings.HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS == 300


def test_unique_write_mode__cache_clear_forgets(fake_api):
    """cache_clear() makes the next call ask the API again."""
    fake_api.add("GET", "/connections", body=_connections(False))
    utils.get_unique_connection_write_mode("hcop")
    utils.get_unique_connection_write_mode.cache_clear()
    utils.get_unique_connection_write_mode("hcop")
    assert len(fake_api.requests) == 2


def test_unique_write_mode__zero_ttl_disables_the_cache(fake_api, settings):
    """HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS = 0 asks the API every time."""
    settings.HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS = 0
    fake_api.add("GET", "/connections", body=_connections(False))
    utils.get_unique_connection_write_mode()
    utils.get_unique_connection_write_mode()
    assert len(fake_api.requests) == 2


def test_unique_write_mode__cached_per_app(fake_api):
    """Different app names are cached separately."""
    fake_api.add("GET", "/connections", body=_connections(False))
    utils.get_unique_connection_write_mode("one")
    utils.get_unique_connection_write_mode("two")
    utils.get_unique_connection_write_mode("one")
    assert [r.query["app"] for r in fake_api.requests] == [["one"], ["two"]]


def test_unique_write_mode__no_connection_is_a_value_error(fake_api):
    """Zero connections raise ValueError naming the app."""
    fake_api.add("GET", "/connections", body={"results": []})
    with pytest.raises(ValueError, match="No Heroku Connect connection found for the app 'x'"):
        utils.get_unique_connection_write_mode("x")


def test_unique_write_mode__mixed_modes_are_a_value_error(fake_api):
    """Connections with different algorithms raise ValueError; nothing is cached."""
    fake_api.add("GET", "/connections", body=_connections(True, False))
    for _ in range(2):
        with pytest.raises(ValueError, match="different write algorithms"):
            utils.get_unique_connection_write_mode("x")
    assert len(fake_api.requests) == 2


def test_unique_write_mode__api_failures_are_not_cached(fake_api):
    """A 500 raises requests.HTTPError; the next call asks again and can succeed."""
    fake_api.add(
        "GET", "/connections", _reply({"message": "down"}, 500), _reply(_connections(False))
    )
    with pytest.raises(requests.HTTPError):
        utils.get_unique_connection_write_mode()
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.MERGE_WRITES


def test_module_functions__send_without_token_or_app_name(fake_api, settings):
    """Like the public package's functions they send the request anyway (a project's HTTP mock
    answers it); only the client refuses (APINotConfigured)."""
    settings.HEROKU_AUTH_TOKEN = ""
    settings.HEROKU_CONNECT_APP_NAME = ""
    fake_api.add("GET", "/connections", body=_connections(True))
    assert [c["id"] for c in utils.get_connections("")] == ["c-0"]
    assert utils.get_unique_connection_write_mode() is WriteAlgorithm.ORDERED_WRITES
    assert [r.headers["Authorization"] for r in fake_api.requests] == ["Bearer "] * 2
    assert fake_api.requests[0].query == {"app": [""]}


def test_module_functions__timeout_is_a_requests_timeout(fake_api, settings):
    """A slow API raises a requests.Timeout (as plain requests does), also a ConnectionError."""
    settings.HEROKU_CONNECT_API_TIMEOUT = 0.2
    fake_api.add("GET", "/connections/c-0", body={"id": "c-0"}, delay=1.0)
    with pytest.raises(requests.Timeout) as caught:
        utils.get_connection("c-0")
    assert isinstance(caught.value, requests.ConnectionError)
