"""A real local HTTP server answering ``GET /connections?app=`` like the Heroku Connect API.

Used by the action and auto-retry tests to let the write algorithm be looked up over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import override_settings

from heroku_connect.utils import get_unique_connection_write_mode


class ConnectAPIState:
    def __init__(self) -> None:
        self.ordered: list[bool] = [False]  # one connection per entry: poll_db_no_merge
        self.status = 200
        self.requests: list[str] = []

    def payload(self) -> dict:
        return {
            "results": [
                {
                    "id": f"conn-{index}",
                    "name": f"connection {index}",
                    "state": "IDLE",
                    "features": {"poll_db_no_merge": ordered},
                }
                for index, ordered in enumerate(self.ordered)
            ]
        }


@contextmanager
def serve_connections(token: str = "secret-test-token") -> Iterator[ConnectAPIState]:
    """Serve the API on 127.0.0.1 and point the settings at it; restores both afterwards."""
    state = ConnectAPIState()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            state.requests.append(self.path)
            body = json.dumps(state.payload() if state.status == 200 else {"message": "boom"})
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    get_unique_connection_write_mode.cache_clear()
    try:
        with override_settings(
            HEROKU_CONNECT_API_ENDPOINT=f"http://127.0.0.1:{server.server_port}/api/v3",
            HEROKU_AUTH_TOKEN=token,
            HEROKU_CONNECT_APP_NAME="hcop-test",
        ):
            yield state
    finally:
        get_unique_connection_write_mode.cache_clear()
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def unreachable_api(token: str = "secret-test-token") -> Iterator[None]:
    """Settings pointing at a closed port (connection refused)."""
    get_unique_connection_write_mode.cache_clear()
    try:
        with override_settings(
            HEROKU_CONNECT_API_ENDPOINT="http://127.0.0.1:9/api/v3",
            HEROKU_AUTH_TOKEN=token,
            HEROKU_CONNECT_APP_NAME="hcop-test",
        ):
            yield
    finally:
        get_unique_connection_write_mode.cache_clear()


@contextmanager
def removing_new_connect_rows() -> Iterator[None]:
    """Delete the trigger-log and account rows created inside the block (for transactional
    tests: Django's flush leaves the unmanaged ``salesforce`` tables alone)."""
    from django.db import connection

    tables = ("_trigger_log", "_trigger_log_archive", "account")
    with connection.cursor() as cursor:
        before = {}
        for table in tables:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM salesforce.{table}")
            before[table] = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DELETE FROM salesforce.{table} WHERE id > %s", [before[table]])
