"""HerokuConnectClient against a real local HTTP server."""

from __future__ import annotations

import pytest
import requests

from heroku_connect.api import (
    APIHTTPError,
    APIInvalidResponse,
    APINotConfigured,
    APIUnavailableError,
    HerokuConnectAPIError,
    HerokuConnectClient,
)
from tests.heroku_connect.api.fake_api import Reply

CONNECTION = {"id": "c-1", "name": "hcop", "state": "IDLE", "features": {}}


@pytest.fixture
def client(fake_api):
    with HerokuConnectClient() as client:
        yield client


def test_list_connections__gets_results_with_the_bearer_token(fake_api, client, settings):
    """GET {ep}/connections?app=<app> with the bearer header; the ``results`` list is returned."""
    fake_api.add("GET", "/connections", body={"count": 1, "results": [CONNECTION]})
    assert client.list_connections("my app") == [CONNECTION]
    (request,) = fake_api.requests
    assert (request.method, request.path) == ("GET", "/api/v3/connections")
    assert request.query == {"app": ["my app"]}
    assert request.headers["Authorization"] == f"Bearer {settings.HEROKU_AUTH_TOKEN}"


def test_list_connections__deep_adds_deep_true(fake_api, client):
    """``deep=True`` asks the list for the mappings too."""
    fake_api.add("GET", "/connections", body={"results": []})
    client.list_connections("hcop", deep=True)
    assert fake_api.requests[0].query == {"app": ["hcop"], "deep": ["true"]}


@pytest.mark.parametrize(("deep", "text"), [(False, "False"), (True, "True")])
def test_get_connection__sends_capitalised_deep(fake_api, client, deep, text):
    """The deep flag is sent as the capitalised Python text, like the public package."""
    fake_api.add("GET", "/connections/c-1", body=CONNECTION)
    assert client.get_connection("c-1", deep=deep) == CONNECTION
    assert fake_api.requests[0].query == {"deep": [text]}


@pytest.mark.parametrize("suffix", ["", "/"])
def test_url_join__one_slash_with_or_without_trailing_slash(fake_api, suffix):
    """The endpoint is joined like os.path.join: never a double slash."""
    fake_api.add("GET", "/mappings/m-1", body={"id": "m-1"})
    with HerokuConnectClient(endpoint=fake_api.api_url + suffix) as client:
        client.get_mapping("m-1")
    assert fake_api.requests[0].path == "/api/v3/mappings/m-1"


def test_url_join__path_segments_are_quoted(fake_api, client):
    """An id with a slash cannot escape its path segment."""
    client_error = pytest.raises(APIHTTPError)
    with client_error:
        client.get_mapping("../connections")
    assert fake_api.requests[0].path == "/api/v3/mappings/..%2Fconnections"


def test_client__settings_are_read_at_call_time(fake_api, settings):
    """A client built before a settings change uses the new endpoint and token."""
    client = HerokuConnectClient()
    settings.HEROKU_AUTH_TOKEN = "rotated"
    fake_api.add("GET", "/mappings/m-1", body={"id": "m-1"})
    client.get_mapping("m-1")
    assert fake_api.requests[0].headers["Authorization"] == "Bearer rotated"


def test_client__one_session_reuses_the_connection(fake_api, client):
    """Two calls of one client go over one kept-alive TCP connection."""
    fake_api.add("GET", "/mappings/m-1", body={"id": "m-1"})
    client.get_mapping("m-1")
    client.get_mapping("m-1")
    first, second = fake_api.requests
    assert first.client_port == second.client_port


def test_patch_connection__sends_json_and_returns_the_connection(fake_api, client):
    """PATCH {ep}/connections/{id} with the fields as JSON."""
    fake_api.add("PATCH", "/connections/c-1", body={**CONNECTION, "db_key": "DATABASE_URL"})
    result = client.patch_connection("c-1", db_key="DATABASE_URL", schema_name="salesforce")
    assert result["db_key"] == "DATABASE_URL"
    assert fake_api.requests[0].json == {"db_key": "DATABASE_URL", "schema_name": "salesforce"}


def test_import_mapping__posts_the_document_as_json(fake_api, client):
    """POST {ep}/connections/{id}/actions/import with the JSON document; an empty 202 is fine."""
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    document = {"version": 1, "mappings": [{"object_name": "Contact", "config": {}}]}
    assert client.import_mapping("c-1", document) is None
    (request,) = fake_api.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == document


def test_export_mapping__returns_the_document(fake_api, client):
    """GET {ep}/connections/{id}/actions/export returns the export document."""
    fake_api.add("GET", "/connections/c-1/actions/export", body={"version": 1, "mappings": []})
    assert client.export_mapping("c-1") == {"version": 1, "mappings": []}


@pytest.mark.parametrize("action", ["pause", "resume", "restart"])
def test_connection_actions__post_and_accept_202(fake_api, client, action):
    """pause/resume/restart POST to .../actions/<action> and return None on 202."""
    fake_api.add("POST", f"/connections/c-1/actions/{action}", status=202)
    assert getattr(client, f"{action}_connection")("c-1") is None
    assert fake_api.paths() == [f"POST /api/v3/connections/c-1/actions/{action}"]


def test_mapping_calls__get_delete_reload(fake_api, client):
    """GET, DELETE (204) and reload (202) of one mapping."""
    fake_api.add("GET", "/mappings/m-1", body={"id": "m-1", "state": "DATA_SYNCED"})
    fake_api.add("DELETE", "/mappings/m-1", status=204)
    fake_api.add("POST", "/mappings/m-1/actions/reload", status=202)
    assert client.get_mapping("m-1")["state"] == "DATA_SYNCED"
    assert client.delete_mapping("m-1") is None
    assert client.reload_mapping("m-1") is None
    assert fake_api.paths() == [
        "GET /api/v3/mappings/m-1",
        "DELETE /api/v3/mappings/m-1",
        "POST /api/v3/mappings/m-1/actions/reload",
    ]


def test_errors__connection_and_mapping_results(fake_api, client):
    """Write errors come back as the ``results`` lists."""
    error = {"id": 7, "table_name": "contact", "record_id": 3, "message": "boom"}
    fake_api.add("GET", "/connections/c-1/errors", body={"count": 1, "results": [error]})
    fake_api.add("GET", "/mappings/m-1/errors", body={"count": 0, "results": []})
    assert client.connection_errors("c-1") == [error]
    assert client.mapping_errors("m-1") == []


def test_notifications__filters_and_acknowledge(fake_api, client):
    """Notifications pass page_size and the filters; acknowledge POSTs the same filters (204)."""
    note = {"id": "n-1", "event_type": "mapping-error", "message": "x"}
    fake_api.add("GET", "/connections/c-1/notifications", body={"results": [note]})
    fake_api.add("POST", "/connections/c-1/notifications/acknowledge", status=204)
    assert client.notifications("c-1", event_type="mapping-error") == [note]
    client.acknowledge_notifications("c-1", event_type="mapping-error")
    for request in fake_api.requests:
        assert request.query == {"page_size": ["1000"], "event_type": ["mapping-error"]}


def test_diagnose__start_then_poll_until_done(fake_api, client):
    """start_diagnose returns result_url; diagnose_result is None on 202, the dict on 200."""
    fake_api.add(
        "POST", "/connections/c-1/validations", status=202, body={"result_url": "validations/v-1"}
    )
    done = {"errors": [], "warnings": [], "passes": [], "skips": [], "mappings": {}}
    fake_api.add("GET", "/validations/v-1", Reply(202, {}), Reply(200, done))
    result_url = client.start_diagnose("c-1")
    assert client.diagnose_result(result_url) is None
    assert client.diagnose_result(fake_api.api_url + "/" + result_url) == done


def test_diagnose_result__refuses_another_host(fake_api, client):
    """A result URL on another host is refused: the token is never sent elsewhere."""
    with pytest.raises(APIInvalidResponse, match="another host"):
        client.diagnose_result("http://evil.example/validations/v-1")
    assert fake_api.requests == []


def test_link_connection_to_account__posts_to_users_me(fake_api, client):
    """POST {ep}/users/me/apps/{app}/auth."""
    fake_api.add("POST", "/users/me/apps/hcop/auth", body={})
    assert client.link_connection_to_account("hcop") is None
    assert fake_api.paths() == ["POST /api/v3/users/me/apps/hcop/auth"]


@pytest.mark.parametrize("status", [401, 404, 500])
def test_http_error__status_and_body_message(fake_api, client, settings, status):
    """4xx/5xx raise APIHTTPError (a requests.HTTPError) quoting the body's message."""
    fake_api.add("GET", "/connections/c-1", status=status, body={"message": "Nope, sorry"})
    with pytest.raises(APIHTTPError) as caught:
        client.get_connection("c-1")
    error = caught.value
    assert isinstance(error, requests.HTTPError)
    assert isinstance(error, HerokuConnectAPIError)
    assert error.status_code == status
    assert error.response.status_code == status
    assert "Nope, sorry" in str(error)
    assert str(status) in str(error)
    assert "\n" not in str(error)
    assert settings.HEROKU_AUTH_TOKEN not in str(error)


def test_http_error__without_json_uses_the_reason(fake_api, client):
    """A non-JSON error body falls back to the HTTP reason text."""
    fake_api.add("GET", "/connections/c-1", status=502, raw=b"<html>bad gateway</html>")
    with pytest.raises(APIHTTPError, match="Bad Gateway"):
        client.get_connection("c-1")


def test_http_error__token_echoed_by_the_api_is_redacted(fake_api, client, settings):
    """Even an API that echoes the token in its message never puts it in the error text."""
    token = settings.HEROKU_AUTH_TOKEN
    fake_api.add("GET", "/connections/c-1", status=401, body={"message": f"bad token {token}"})
    with pytest.raises(APIHTTPError) as caught:
        client.get_connection("c-1")
    assert token not in str(caught.value)
    assert "bad token ***" in str(caught.value)


def test_invalid_json__raises_a_value_error(fake_api, client):
    """A 200 whose body is not JSON raises APIInvalidResponse, a ValueError."""
    fake_api.add("GET", "/connections/c-1", raw=b"{not json")
    with pytest.raises(APIInvalidResponse) as caught:
        client.get_connection("c-1")
    assert isinstance(caught.value, ValueError)
    assert caught.value.status_code == 200
    assert "invalid JSON" in str(caught.value)


@pytest.mark.parametrize("body", [{"count": 0}, {"results": "nope"}, [1, 2]])
def test_invalid_json__results_missing_or_wrong_type(fake_api, client, body):
    """A list endpoint without a ``results`` list (or not an object) is an invalid response."""
    fake_api.add("GET", "/connections", body=body)
    with pytest.raises(APIInvalidResponse):
        client.list_connections("hcop")


def test_unreachable__closed_port(closed_port_url, settings):
    """Connection refused raises APIUnavailableError (a requests.ConnectionError), no status."""
    with (
        HerokuConnectClient(endpoint=closed_port_url, token="tok-123") as client,
        pytest.raises(APIUnavailableError) as caught,
    ):
        client.list_connections("hcop")
    assert isinstance(caught.value, requests.ConnectionError)
    assert caught.value.status_code is None
    assert "unreachable" in str(caught.value)
    assert "tok-123" not in str(caught.value)


def test_timeout__slow_server(fake_api, settings):
    """A server slower than the timeout raises APIUnavailableError naming the timeout."""
    fake_api.add("GET", "/connections/c-1", body=CONNECTION, delay=1.0)
    with (
        HerokuConnectClient(timeout=0.2) as client,
        pytest.raises(APIUnavailableError, match=r"within 0\.2 s"),
    ):
        client.get_connection("c-1")


def test_not_configured__no_token(fake_api, settings):
    """Without a token nothing is sent and APINotConfigured names the setting."""
    settings.HEROKU_AUTH_TOKEN = ""
    with pytest.raises(APINotConfigured, match="HEROKU_AUTH_TOKEN"):
        HerokuConnectClient().list_connections("hcop")
    assert fake_api.requests == []


def test_not_configured__no_endpoint_or_app(settings):
    """An empty endpoint or app name is a clear APINotConfigured, not a requests error."""
    settings.HEROKU_AUTH_TOKEN = "tok"
    settings.HEROKU_CONNECT_API_ENDPOINT = ""
    with pytest.raises(APINotConfigured, match="HEROKU_CONNECT_API_ENDPOINT"):
        HerokuConnectClient().get_connection("c-1")
    with pytest.raises(APINotConfigured, match="app name"):
        HerokuConnectClient(endpoint="http://127.0.0.1:1/api/v3").list_connections("")


def test_repr__never_shows_the_token_or_credentials():
    """The client's repr shows the endpoint without user info and never the token."""
    client = HerokuConnectClient("https://user:pw@connect.example/api/v3", "tok-xyz")
    assert repr(client) == "<HerokuConnectClient endpoint='https://connect.example/api/v3'>"


def test_api_error__pickles_with_its_status(fake_api, client):
    """Errors survive pickling (task results) with message and status, without the response."""
    import pickle

    fake_api.add("GET", "/connections/c-1", status=404, body={"message": "gone"})
    with pytest.raises(APIHTTPError) as caught:
        client.get_connection("c-1")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is APIHTTPError
    assert (str(copy), copy.status_code) == (str(caught.value), 404)


def test_client__timeout_from_the_setting_at_call_time(settings):
    """Without ``timeout=`` the client reads ``HEROKU_CONNECT_API_TIMEOUT`` when it calls."""
    client = HerokuConnectClient(endpoint="http://127.0.0.1:9/api/v3", token="t")
    settings.HEROKU_CONNECT_API_TIMEOUT = 4
    assert client.timeout == 4
    del settings.HEROKU_CONNECT_API_TIMEOUT
    assert client.timeout == 30  # the public package's fixed value
    assert HerokuConnectClient(timeout=2.5).timeout == 2.5


def test_settings__the_app_keeps_api_calls_under_the_router_limit():
    """The project's settings give the API 10 s (Heroku's router cuts requests at 30 s)."""
    from django.conf import settings as django_settings

    assert django_settings.HEROKU_CONNECT_API_TIMEOUT == 10
