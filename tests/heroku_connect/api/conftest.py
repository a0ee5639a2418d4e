"""Fixtures for the API client tests: a fake Heroku Connect API on a real local socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.heroku_connect.api.fake_api import FakeConnectAPI, serving


@pytest.fixture
def fake_api(settings) -> Iterator[FakeConnectAPI]:
    """A threaded HTTP server on 127.0.0.1; the library settings point at it."""
    from heroku_connect.api import get_unique_connection_write_mode

    with serving(FakeConnectAPI()) as api:
        settings.HEROKU_CONNECT_API_ENDPOINT = api.api_url
        settings.HEROKU_AUTH_TOKEN = "s3cret-test-token"
        settings.HEROKU_CONNECT_APP_NAME = "hcop-test"
        get_unique_connection_write_mode.cache_clear()
        try:
            yield api
        finally:
            get_unique_connection_write_mode.cache_clear()


@pytest.fixture
def closed_port_url() -> str:
    """An API URL on a local port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v3"
