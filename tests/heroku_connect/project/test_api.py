"""The Heroku Connect API as the shop uses it, with the stand-in API changing between calls.

Not here: the health check answering a changed API (a new check asks again) belongs to the
health check's own tests; this suite covers the API helpers and commands.
"""

import io

import pytest
import requests
from django.core.management import CommandError, call_command

from heroku_connect.utils import get_connection, get_connections


def test_connection_state_is_asked_again_on_each_call(connect_api):
    assert get_connections("shop-app")[0]["state"] == "IDLE"
    connect_api.state = "PAUSED"
    connect_api.mapping_state = "BAD_CONFIG"
    assert get_connections("shop-app")[0]["state"] == "PAUSED"
    details = get_connection("conn-1", deep=True)
    assert details["mappings"] == [{"object_name": "Contact", "state": "BAD_CONFIG"}]


def test_api_errors_are_http_errors(connect_api):
    connect_api.status = 503
    with pytest.raises(requests.HTTPError):
        get_connections("shop-app")


def test_import_mappings_uploads_the_shops_mapping(connect_api):
    out = io.StringIO()
    call_command("import_mappings", "--app", "shop-app", stdout=out)
    (document,) = connect_api.imported
    assert [m["object_name"] for m in document["mappings"]] == ["Account", "Contact"]
    assert "Uploading mapping..." in out.getvalue()


def test_import_mappings_reports_api_failures(connect_api):
    connect_api.status = 500
    with pytest.raises(CommandError, match="^Failed to load connections$"):
        call_command("import_mappings", "--app", "shop-app", stdout=io.StringIO())
