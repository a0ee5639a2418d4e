"""``manage.py import_mappings`` against a real local HTTP server."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heroku_connect.management.commands.import_mappings import Command
from tests.heroku_connect.api.fake_api import Reply

IMPORTING = Reply(200, {"id": "c-1", "state": "IMPORT_CONFIGURATION"})
IDLE = Reply(200, {"id": "c-1", "state": "IDLE"})


def _run(*args: str, **options) -> str:
    stdout = io.StringIO()
    call_command("import_mappings", *args, stdout=stdout, **options)
    return stdout.getvalue()


def _one_connection(fake_api) -> None:
    fake_api.add("GET", "/connections", body={"results": [{"id": "c-1", "state": "IDLE"}]})
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)


def test_import_mappings__app_from_settings_uploads_the_mapping(fake_api):
    """Without --app the setting HEROKU_CONNECT_APP_NAME is used; the mapping is POSTed."""
    _one_connection(fake_api)
    output = _run()
    assert output == "Fetching connections.\nUploading mapping...\n"
    listing, upload = fake_api.requests
    assert listing.query == {"app": ["hcop-test"]}
    assert upload.path == "/api/v3/connections/c-1/actions/import"
    document = upload.json
    assert document["connection"]["app_name"] == "hcop-test"
    assert {m["object_name"] for m in document["mappings"]} >= {"Account", "Contact"}


def test_import_mappings__app_option_wins(fake_api):
    """--app overrides the setting, for the lookup and for the mapping's app_name."""
    _one_connection(fake_api)
    _run("--app", "other-app")
    assert fake_api.requests[0].query == {"app": ["other-app"]}
    assert fake_api.requests[1].json["connection"]["app_name"] == "other-app"


def test_import_mappings__connection_id_skips_the_lookup(fake_api):
    """-c ID uploads straight to that connection."""
    fake_api.add("POST", "/connections/c-9/actions/import", status=202)
    assert _run("-c", "c-9") == "Uploading mapping...\n"
    assert fake_api.paths() == ["POST /api/v3/connections/c-9/actions/import"]


def test_import_mappings__neither_app_nor_connection(settings):
    """No app name anywhere and no connection id: the corrected message."""
    settings.HEROKU_CONNECT_APP_NAME = ""
    with pytest.raises(CommandError) as caught:
        _run()
    assert str(caught.value) == (
        "You need to either specify the application name or the connection ID."
    )


def test_import_mappings__links_the_account_then_refetches(fake_api):
    """No connection: warn, link the user, fetch again and upload."""
    fake_api.add(
        "GET",
        "/connections",
        Reply(200, {"results": []}),
        Reply(200, {"results": [{"id": "c-1"}]}),
    )
    fake_api.add("POST", "/users/me/apps/hcop-test/auth", status=200, body={})
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    output = _run("--wait-interval", "0")
    assert output == (
        "Fetching connections.\n"
        "No associated connections found for the current user with the app 'hcop-test'.\n"
        "Linking the current user with Heroku Connect.\n"
        "Fetching connections.\n"
        "Uploading mapping...\n"
    )
    assert fake_api.paths()[1] == "POST /api/v3/users/me/apps/hcop-test/auth"


def test_import_mappings__still_no_connection(fake_api):
    """Still nothing after linking: CommandError naming the app; nothing uploaded."""
    fake_api.add("GET", "/connections", body={"results": []})
    fake_api.add("POST", "/users/me/apps/hcop-test/auth", status=200, body={})
    with pytest.raises(CommandError) as caught:
        _run("--wait-interval", "0")
    assert str(caught.value) == (
        "No associated connections found for the current user with the app 'hcop-test'."
    )
    assert not any("import" in path for path in fake_api.paths())


def test_import_mappings__link_failure(fake_api):
    """A failing link call is 'Authentication failed'."""
    fake_api.add("GET", "/connections", body={"results": []})
    fake_api.add("POST", "/users/me/apps/hcop-test/auth", status=403, body={"message": "no"})
    with pytest.raises(CommandError, match="^Authentication failed$"):
        _run("--wait-interval", "0")


def test_import_mappings__more_than_one_connection(fake_api):
    """Two connections: asks for the connection id."""
    fake_api.add("GET", "/connections", body={"results": [{"id": "a"}, {"id": "b"}]})
    with pytest.raises(CommandError) as caught:
        _run()
    assert str(caught.value) == (
        "More than one associated connections found for the current user with the app "
        "'hcop-test'. Please specify the connection ID."
    )


def test_import_mappings__listing_http_error(fake_api, settings):
    """A 401 while listing is 'Failed to load connections' (never the token)."""
    fake_api.add("GET", "/connections", status=401, body={"message": "bad token"})
    with pytest.raises(CommandError) as caught:
        _run()
    assert str(caught.value) == "Failed to load connections"


def test_import_mappings__upload_http_error(fake_api):
    """A 400 on upload is 'Failed to upload the mapping'."""
    fake_api.add("POST", "/connections/c-1/actions/import", status=400, body={"message": "x"})
    with pytest.raises(CommandError, match="^Failed to upload the mapping$"):
        _run("-c", "c-1")


def test_import_mappings__unreachable_api_is_a_clear_command_error(closed_port_url, settings):
    """An unreachable API is a CommandError saying so, without the token."""
    settings.HEROKU_CONNECT_API_ENDPOINT = closed_port_url
    settings.HEROKU_AUTH_TOKEN = "tok-secret-1"
    settings.HEROKU_CONNECT_APP_NAME = "hcop"
    with pytest.raises(CommandError) as caught:
        _run()
    message = str(caught.value)
    assert message.startswith("Failed to load connections: Heroku Connect API is unreachable")
    assert "tok-secret-1" not in message


def test_import_mappings__invalid_json_is_a_clear_command_error(fake_api):
    """Invalid JSON from the API is a CommandError naming it."""
    fake_api.add("GET", "/connections", raw=b"<html>")
    with pytest.raises(CommandError, match="^Failed to load connections: .*invalid JSON"):
        _run()


def test_import_mappings__wait_polls_until_done(fake_api):
    """--wait polls the connection (non-deep) until it leaves IMPORT_CONFIGURATION."""
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    fake_api.add("GET", "/connections/c-1", IMPORTING, IMPORTING, IDLE)
    output = _run("-c", "c-1", "--wait", "--wait-interval", "0")
    assert output == "Uploading mapping...\nWaiting for import... Done!\n"
    polls = [r for r in fake_api.requests if r.method == "GET"]
    assert [r.query for r in polls] == [{"deep": ["False"]}] * 3


def test_import_mappings__wait_times_out(fake_api):
    """--timeout bounds the wait with the documented CommandError."""
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    fake_api.add("GET", "/connections/c-1", IMPORTING)
    with pytest.raises(CommandError) as caught:
        _run("-c", "c-1", "--wait", "--wait-interval", "5", "--timeout", "0.2")
    assert str(caught.value) == "Timed out waiting for the import to finish."


def test_import_mappings__default_timeout_is_600():
    """--timeout defaults to 600 seconds."""
    parser = Command().create_parser("manage.py", "import_mappings")
    assert parser.parse_args([]).timeout == 600


def test_wait_for_import__instance_method_polls_at_least_once(fake_api):
    """wait_for_import(connection_id, wait_interval) stays a public instance method."""
    fake_api.add("GET", "/connections/c-1", IDLE)
    stdout = io.StringIO()
    command = Command(stdout=stdout)
    command.wait_for_import("c-1", 0)
    assert stdout.getvalue() == "Waiting for import. Done!\n"
    assert len(fake_api.requests) == 1


def test_wait_for_import__fetch_failure(fake_api):
    """An HTTP error while polling is 'Failed to fetch connection information.'."""
    fake_api.add("GET", "/connections/c-1", status=500, body={"message": "down"})
    with pytest.raises(CommandError) as caught:
        Command(stdout=io.StringIO()).wait_for_import("c-1", 0)
    assert str(caught.value) == "Failed to fetch connection information."
