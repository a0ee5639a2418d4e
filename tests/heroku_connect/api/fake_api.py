"""A real local HTTP server standing in for the Heroku Connect API (no patching of requests)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request the fake API received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_port: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What the fake API answers: a JSON body (or raw bytes) after an optional delay."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeConnectAPI:
    """Routes ``(METHOD, path)`` to replies; unknown routes answer 404 ``{"message": ...}``."""

    base_url: str = ""
    routes: dict[tuple[str, str], Reply | list[Reply]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    def add(self, method: str, path: str, *replies: Reply, **reply: Any) -> None:
        """Answer ``method path`` (path below ``/api/v3``) with ``Reply(**reply)`` or a sequence."""
        key = (method, "/api/v3" + path)
        self.routes[key] = list(replies) if replies else Reply(**reply)

    def reply_for(self, method: str, path: str) -> Reply:
        found = self.routes.get((method, path))
        if found is None:
            return Reply(404, {"message": f"No route {method} {path}"})
        if isinstance(found, list):
            return found.pop(0) if len(found) > 1 else found[0]
        return found

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]


def _handler(api: FakeConnectAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so session reuse is observable

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            api.requests.append(
                Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers=dict(self.headers.items()),
                    body=body,
                    client_port=self.client_address[1],
                )
            )
            reply = api.reply_for(self.command, parts.path)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.raw is not None:
                payload = reply.raw
            elif reply.body is None:
                payload = b""
            else:
                payload = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    return Handler


@contextmanager
def serving(api: FakeConnectAPI) -> Iterator[FakeConnectAPI]:
    """Run ``api`` on a threaded server on 127.0.0.1 for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
