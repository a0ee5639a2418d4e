"""Fixtures of the project suite: the library's test fixtures and a stand-in Heroku Connect API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest_plugins = ["heroku_connect.test.fixtures"]


@dataclass
class ConnectAPI:
    """What the stand-in API answers; tests change it between two calls."""

    state: str = "IDLE"
    mapping_state: str = "DATA_SYNCED"
    ordered_writes: bool = False
    status: int = 200
    imported: list[dict[str, Any]] = field(default_factory=list)

    def connection(self) -> dict[str, Any]:
        return {
            "id": "conn-1",
            "name": "shop",
            "state": self.state,
            "features": {"poll_db_no_merge": self.ordered_writes},
            "mappings": [{"object_name": "Contact", "state": self.mapping_state}],
        }


@pytest.fixture
def connect_api(settings) -> Iterator[ConnectAPI]:
    """A local HTTP server answering like the Heroku Connect API; the settings point at it."""
    from heroku_connect.utils import get_unique_connection_write_mode

    api = ConnectAPI()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, body: dict[str, Any] | None, status: int = 200) -> None:
            status = api.status if api.status >= 400 else status
            payload = json.dumps(body or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):  # noqa: N802 (http.server's name)
            path = self.path.split("?", 1)[0]
            if path.endswith("/connections"):
                self._reply({"results": [api.connection()]})
            else:
                self._reply(api.connection())

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            api.imported.append(json.loads(self.rfile.read(length) or b"{}"))
            self._reply(None, status=202)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HEROKU_CONNECT_API_ENDPOINT = f"http://127.0.0.1:{server.server_port}/api/v3"
    get_unique_connection_write_mode.cache_clear()
    try:
        yield api
    finally:
        get_unique_connection_write_mode.cache_clear()
        server.shutdown()
        server.server_close()
        thread.join(5)
