"""The simulator's API over real HTTP: authentication, error bodies, bad input, resilience."""

from __future__ import annotations

import contextlib
import json
import socket

import pytest
import requests

from heroku_connect.simulator.server import MAX_BODY_BYTES
from tests.heroku_connect.simulator.api_helpers import connection_url, session


def test_auth__missing_header_is_401_with_message(simulator):
    """No Authorization header: 401 and a {message} body."""
    response = requests.get(connection_url(simulator), timeout=5)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


@pytest.mark.parametrize("header", ["Bearer wrong-token", "Basic dGVzdA==", "Bearer", "token"])
def test_auth__wrong_token_is_401(simulator, header):
    """A wrong token or scheme is 401; the token is never echoed."""
    response = requests.get(connection_url(simulator), headers={"Authorization": header}, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid credentials provided."}


def test_auth__right_token_is_200(simulator):
    """The simulator's own token works."""
    response = session(simulator).get(connection_url(simulator), timeout=5)
    assert response.status_code == 200
    assert response.json()["id"] == simulator.connection_id


def test_unknown_connection_is_404(simulator):
    """Another app's (or any unknown) connection id is 404, never 403."""
    response = session(simulator).get(f"{simulator.api_url}/connections/nope", timeout=5)
    assert response.status_code == 404
    assert "nope" in response.json()["message"]


def test_unknown_mapping_is_404(simulator):
    """Unknown mapping ids are 404 for GET, DELETE, reload and errors."""
    s = session(simulator)
    base = f"{simulator.api_url}/mappings/00000000-0000-0000-0000-000000000000"
    assert s.get(base, timeout=5).status_code == 404
    assert s.delete(base, timeout=5).status_code == 404
    assert s.post(f"{base}/actions/reload", timeout=5).status_code == 404
    assert s.get(f"{base}/errors", timeout=5).status_code == 404


def test_unknown_path_is_404_with_message(simulator):
    """Unknown paths answer 404 {message}, also without a token."""
    response = requests.get(f"{simulator.api_url}/nothing/here", timeout=5)
    assert response.status_code == 404
    assert response.json()["message"].startswith("Not found")


def test_wrong_method_is_405(simulator):
    """A known path with the wrong method is 405 {message}."""
    response = session(simulator).put(connection_url(simulator), json={}, timeout=5)
    assert response.status_code == 405
    assert "PUT" in response.json()["message"]


def test_malformed_json_is_400(simulator):
    """A body that is not JSON is 400."""
    response = session(simulator).post(
        connection_url(simulator, "/actions/import"),
        data=b'{"version": 1, "mappings": [',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"message": "The request body is not valid JSON."}


def test_wrong_content_type_is_415(simulator):
    """A POST body that is not application/json is 415."""
    response = session(simulator).post(
        connection_url(simulator, "/actions/import"),
        data=b"version=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_oversized_body_is_413(simulator):
    """A body over 1 MiB is 413 and nothing is imported."""
    body = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = session(simulator).post(
        connection_url(simulator, "/actions/import"),
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert "message" in response.json()
    assert simulator.state.mappings() == []


def test_handler_exception_is_500_and_server_keeps_serving(simulator, monkeypatch):
    """An exception inside a handler answers 500 {message}; the next request works."""
    original = simulator.state.snapshot
    calls = {"n": 0}

    def broken_once():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom with secret postgres://user:pw@host/db")
        return original()

    monkeypatch.setattr(simulator.state, "snapshot", broken_once)
    s = session(simulator)
    response = s.get(connection_url(simulator), timeout=5)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error."}
    assert s.get(connection_url(simulator), timeout=5).status_code == 200


def test_garbage_on_the_socket_does_not_crash_the_server(simulator):
    """Binary garbage, a truncated request and a lying Content-Length leave the server up."""
    host, port = simulator.base_url.removeprefix("http://").split(":")
    for garbage in (
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET /api/v3/connections",
        b"POST /api/v3/connections/x/actions/import HTTP/1.1\r\nContent-Length: 50\r\n\r\n{",
        b"POST /api/v3/connections/x/actions/import HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(garbage)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(5)
            with contextlib.suppress(OSError):
                sock.recv(4096)
    assert session(simulator).get(connection_url(simulator), timeout=5).status_code == 200


def test_protocol_errors_are_json_too(simulator):
    """A verb http.server does not know (501) still gets a JSON {message} body."""
    host, port = simulator.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"BREW /api/v3/connections HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"501"
    assert b"Content-Type: application/json" in head
    assert "BREW" in json.loads(body)["message"]


def test_options_is_405(simulator):
    """OPTIONS on an API path is a wrong method (405), not a server error."""
    response = requests.options(connection_url(simulator), timeout=5)
    assert response.status_code == 405


def test_error_bodies_are_json_objects_with_message(simulator):
    """Every error answer is a JSON object with a message string."""
    s = session(simulator)
    answers = [
        requests.get(connection_url(simulator), timeout=5),
        s.get(f"{simulator.api_url}/connections/x", timeout=5),
        s.get(f"{simulator.api_url}/missing", timeout=5),
        s.delete(connection_url(simulator), timeout=5),
    ]
    for response in answers:
        assert response.status_code >= 400
        assert response.headers["Content-Type"] == "application/json"
        assert isinstance(response.json()["message"], str)
