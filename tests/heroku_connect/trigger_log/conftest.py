"""Fixtures for the trigger-log tests."""

import pytest


@pytest.fixture(autouse=True)
def _whitenoise_without_collected_static(settings):
    """Requests through the test client must not warn about a missing STATIC_ROOT.

    WhiteNoise warns (an error under -W error) when ``collectstatic`` has not run; in autorefresh
    mode it looks files up per request instead and stays quiet.
    """
    settings.WHITENOISE_AUTOREFRESH = True


class _ConnectAPI:
    """A real local HTTP server answering ``GET /connections?app=`` like Heroku Connect."""

    def __init__(self) -> None:
        self.modes: list[bool] = [False]  # one connection per entry: poll_db_no_merge
        self.status = 200
        self.requests: list[str] = []
        self.on_request = None  # optional callable run inside each request

    def payload(self) -> dict:
        return {
            "results": [
                {
                    "id": f"conn-{index}",
                    "name": f"connection {index}",
                    "state": "IDLE",
                    "features": {"poll_db_no_merge": ordered},
                }
                for index, ordered in enumerate(self.modes)
            ]
        }


@pytest.fixture
def connect_api(settings):
    """Serve the connections endpoint on 127.0.0.1 and point the library settings at it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = _ConnectAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            state.requests.append(self.path)
            if state.on_request is not None:
                state.on_request()
            body = json.dumps(state.payload()).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HEROKU_CONNECT_API_ENDPOINT = f"http://127.0.0.1:{server.server_port}/api/v3"
    settings.HEROKU_AUTH_TOKEN = "test-token"
    settings.HEROKU_CONNECT_APP_NAME = "hcop-test"
    from heroku_connect.utils import get_unique_connection_write_mode

    get_unique_connection_write_mode.cache_clear()
    try:
        yield state
    finally:
        get_unique_connection_write_mode.cache_clear()
        server.shutdown()
        server.server_close()
        thread.join(5)
