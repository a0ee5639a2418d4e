"""``python -m heroku_connect.simulator serve|control`` as real processes."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from heroku_connect.test.simulator import DatabaseSnapshot, dsn_from_settings_dict
from tests.heroku_connect.simulator.api_helpers import document

ROOT = Path(__file__).resolve().parents[3]
URL_LINE = re.compile(r"API (http://127\.0\.0\.1:\d+)/api/v3")


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "heroku_connect.simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def dsn(transactional_db):
    """The test database's DSN; the schema is restored after the processes are gone."""
    dsn = dsn_from_settings_dict(connection.settings_dict)
    snapshot = DatabaseSnapshot.take(dsn, "salesforce")
    yield dsn
    snapshot.restore(dsn)


@pytest.fixture
def served(dsn, tmp_path):
    """A ``serve`` process on a free port with a seed mapping; yields its base URL."""
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(document()))
    process = subprocess.Popen(
        [
            sys.executable, "-m", "heroku_connect.simulator", "serve",
            "--database-url", dsn, "--port", "0", "--token", "cli-token", "--app", "cli-app",
            "--import-seconds", "0", "--seed-mapping", str(mapping_file), "--records", "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = URL_LINE.search(line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        process.stdout.close()
        process.stderr.close()


def test_serve__runs_imports_seed_mapping_and_stops_on_sigterm(served):
    """serve answers with its token, imports --seed-mapping, exits 0 on SIGTERM."""
    process, base_url = served
    headers = {"Authorization": "Bearer cli-token"}
    status = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}/__simulator__/status", timeout=5).json()
        if status["state"] == "IDLE" and status["mappings"] == {"Contact": "DATA_SYNCED"}:
            break
        time.sleep(0.1)
    assert status["mappings"] == {"Contact": "DATA_SYNCED"}
    found = requests.get(f"{base_url}/connections", params={"app": "cli-app"}, headers=headers)
    assert found.json()["count"] == 1
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert "stopping" in process.stdout.read()


def test_control__subcommands_against_a_running_simulator(served):
    """control connection-state / mapping-state / fault / status change the server."""
    _, base_url = served
    result = _run("control", "--url", base_url, "connection-state", "paused")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"state": "PAUSED"}
    assert _run("control", "--url", base_url, "fault", "--status", "503").returncode == 0
    answer = requests.get(f"{base_url}/api/v3/connections?app=cli-app", timeout=5)
    assert answer.status_code == 503
    assert _run("control", "--url", f"{base_url}/api/v3", "fault", "--clear").returncode == 0
    status = json.loads(_run("control", "--url", base_url, "status").stdout)
    assert status["state"] == "PAUSED"
    assert status["faults"]["status"] is None
    bad = _run("control", "--url", base_url, "connection-state", "SNOOZING")
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1
    assert "400" in bad.stderr


def test_serve__bad_database_url_is_one_line_without_password():
    """An unreachable database: exit 1 with one line that does not contain the password."""
    result = _run(
        "serve", "--database-url", "postgres://postgres:s3cret-pw@127.0.0.1:1/nope",
        "--port", "0", "--token", "t",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot use the database 127.0.0.1:1/nope" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_serve__busy_port_is_one_line_error(dsn):
    """A port already in use: exit 1 with a one-line message."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("serve", "--database-url", dsn, "--port", str(port), "--token", "t")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f"port {port} on 127.0.0.1 is already in use")
    assert result.stderr.count("\n") == 1


def test_serve__requires_token_and_valid_numbers(dsn):
    """Missing token and bad numbers are usage errors (exit 2)."""
    no_token = subprocess.run(
        [sys.executable, "-m", "heroku_connect.simulator", "serve", "--database-url", dsn],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert no_token.returncode == 2
    assert "--token" in no_token.stderr
    negative = _run("serve", "--database-url", dsn, "--token", "t", "--write-interval", "-1")
    assert negative.returncode == 2
    assert "must not be negative" in negative.stderr


def test_control__unreachable_url_is_one_line_error():
    """control against nothing: exit 1, one line."""
    result = _run("control", "--url", "http://127.0.0.1:9", "status")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot reach the simulator" in result.stderr
