"""The Heroku Connect API v3 over real HTTP (``http.server.ThreadingHTTPServer``).

This module is the HTTP plumbing: :class:`ApiServer` holds what the handlers need (the state, the
org, the database, the token, the importer) and :class:`RequestHandler` reads a request, applies
the simulated faults, checks the token, finds the handler (:mod:`~heroku_connect.simulator.routing`)
and writes the JSON answer. The endpoints live in :mod:`heroku_connect.simulator.handlers`, one
module per resource. One server answers three kinds of path:

* the regional API under ``/api/v3/...`` (docs/heroku-connect/api.md §3),
* the central (discovery) endpoints ``/connections?app=`` and ``/auth/{app}`` at the root,
* the simulator's own control API under ``/__simulator__/`` (no token; faults and states).

Authentication: every API call needs ``Authorization: Bearer <token>``; a missing or wrong token
answers 401 ``{"message": ...}``. Connections of other apps do not exist for the caller: any
unknown connection or mapping id answers 404 (never 403, so ids of other customers cannot be
probed); discovery for another app name answers an empty list; linking to another app
answers 403.

Every error body is ``{"message": ...}``. Malformed JSON -> 400, a body that is not
``application/json`` -> 415, a body over 1 MiB -> 413, unknown path -> 404, wrong method -> 405,
an exception in a handler -> 500 (logged; the server keeps serving).
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from heroku_connect.simulator import handlers  # noqa: F401 (registers the routes)
from heroku_connect.simulator.importer import Importer
from heroku_connect.simulator.routing import HttpError, Request, Response, resolve
from heroku_connect.simulator.state import FaultSettings, SimulatorState, StateError

__all__ = ("MAX_BODY_BYTES", "ApiServer", "HttpError")

logger = logging.getLogger("heroku_connect.simulator")

MAX_BODY_BYTES = 1024 * 1024


class _DropConnection(Exception):
    """Close the connection without answering (the ``drop`` fault)."""


class ApiServer(ThreadingHTTPServer):
    """The HTTP server; holds everything the handlers need."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        state: SimulatorState,
        org: Any,
        dsn: str,
        token: str,
        importer: Importer,
        validation_seconds: float = 0.0,
    ) -> None:
        self.state = state
        self.org = org
        self.dsn = dsn
        self.token = token
        self.importer = importer
        self.validation_seconds = validation_seconds
        self.stopping = threading.Event()
        super().__init__(address, RequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"


class RequestHandler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.0"  # one request per connection: garbage cannot leak into the next
    server_version = "HerokuConnectSimulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._dispatch("OPTIONS")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors found by ``http.server`` (bad request line, 414, 501) as JSON too."""
        short = self.responses.get(code, ("Error",))[0]
        body = json.dumps({"message": message or short}).encode()
        try:
            self.send_response(code, short)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _dispatch(self, method: str) -> None:
        try:
            response = self._handle(method)
        except _DropConnection:
            self.close_connection = True
            return
        except HttpError as exc:
            response = Response(exc.status, {"message": exc.message, **exc.extra})
        except StateError as exc:
            response = Response(exc.status, {"message": exc.message})
        except Exception:
            logger.exception("simulator handler failed for %s %s", method, self.path)
            response = Response(500, {"message": "Internal server error."})
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            body = response.raw
            content_type = "text/html; charset=utf-8"
            if body is None and response.body is not None:
                body = json.dumps(response.body).encode()
                content_type = "application/json"
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body is not None and self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (e.g. timed out)

    def _handle(self, method: str) -> Response:
        parts = urlsplit(self.path)
        path = parts.path
        try:
            found = resolve(method, path)
        except HttpError:
            self._discard_body()
            raise
        request = Request(method, path, parse_qs(parts.query), self.headers, found.params)
        faults = None
        if found.auth:
            self.server.state.count_request(method, path)
            faults = self.server.state.take_faults()
            faulted = self._apply_faults(faults)
            if faulted is not None:
                return faulted
            self._authenticate()
        request.body = self._read_body()
        response = found.handler(self.server, request)
        if faults is not None and faults.invalid_json:
            return Response(200, raw=b"<html>Heroku Connect is having a moment</html>")
        return response

    def _apply_faults(self, faults: FaultSettings) -> Response | None:
        if faults.latency > 0:
            self.server.stopping.wait(faults.latency)
        if faults.drop:
            self._discard_body()
            raise _DropConnection
        if faults.timeout:
            self._discard_body()
            self.server.stopping.wait(faults.timeout_seconds)
            return Response(504, {"message": "Gateway timeout (simulated)."})
        if faults.unauthorized:
            self._discard_body()
            return Response(401, {"message": "Invalid credentials provided (simulated)."})
        if faults.status is not None:
            self._discard_body()
            headers = {"Retry-After": faults.retry_after} if faults.retry_after else {}
            return Response(
                faults.status, {"message": f"Simulated error {faults.status}."}, headers=headers
            )
        return None

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization")
        if not header:
            self._discard_body()
            raise HttpError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.server.token:
            self._discard_body()
            raise HttpError(401, "Invalid credentials provided.")

    def _content_length(self) -> int:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        try:
            length = int(raw)
        except ValueError:
            raise HttpError(400, "Invalid Content-Length header.") from None
        if length < 0:
            raise HttpError(400, "Invalid Content-Length header.")
        return length

    def _discard_body(self) -> None:
        """Read (up to 16 MiB of) an unwanted body so the client can read our answer."""
        try:
            remaining = min(self._content_length(), 16 * MAX_BODY_BYTES)
        except HttpError:
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

    def _read_body(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise HttpError(411, "Send a Content-Length; chunked bodies are not supported.")
        length = self._content_length()
        if length > MAX_BODY_BYTES:
            self._discard_body()
            raise HttpError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if length == 0:
            return None
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise HttpError(415, "Send the request body as application/json.")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HttpError(400, "The request body is not valid JSON.") from None
