"""The launcher behind `make demo` / `make test`: embedded PostgreSQL and Redis, clear errors.

Run as root (CI, containers) these tests drive the launcher's own root handling: PostgreSQL in a
user namespace, or as the system user ``hcop-postgres``; as a normal user, the plain path.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import devservices

ROOT = Path(__file__).resolve().parents[2]

# Runs inside the launched environment: PostgreSQL with hstore, Redis, both reachable.
PROBE = """
import os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("CREATE EXTENSION IF NOT EXISTS hstore")
    print("pg", conn.execute("SELECT 'a=>1'::hstore -> 'a'").fetchone()[0])
client = redis.Redis.from_url(os.environ["REDIS_URL"])
client.set("probe", "ok")
print("redis", client.get("probe").decode())
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder the launcher's user owns (short path: Unix socket limits)."""
    folder = Path(f"/tmp/hcop-dev-{os.getpid()}-{tmp_path.name[-6:]}")
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _environ(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a first run: no service URLs, the data in ``data``."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE",
            devservices.RUN_AS_VARIABLE,
        }
    }  # fmt: skip
    environ.update(HCOP_DATA_DIR=str(data), PYTHONPATH=str(ROOT), **extra)
    return environ


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="runs the launcher's root handling")


def _owners(folder: Path) -> set[int]:
    return {path.stat().st_uid for path in [folder, *folder.rglob("*")]}


def _launcher(*command: str) -> list[str]:
    return [sys.executable, "-m", "app.devservices", "exec", "--", *command]


def _probe(environ: dict[str, str], extra: str = "") -> subprocess.CompletedProcess:
    """Run PROBE (+ ``extra``) through the launcher; fails the test unless it succeeded."""
    result = subprocess.run(
        _launcher(sys.executable, "-c", PROBE + extra),
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pg 1" in result.stdout
    assert "redis ok" in result.stdout
    return result


def _processes_using(data: Path) -> list[str]:
    """Command lines of running processes that mention ``data`` (left-over servers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(data) in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.slow
def test_exec__embedded_postgres_with_hstore_and_redis_then_nothing_left(data_dir):
    """Without DATABASE_URL/REDIS_URL both servers start, serve the command, and stop after."""
    result = _probe(_environ(data_dir))
    assert "embedded PostgreSQL 18 running" in result.stdout
    assert (data_dir / "postgres-18" / "PG_VERSION").read_text().strip() == "18"
    assert _processes_using(data_dir) == []
    assert _owners(data_dir) == {os.geteuid()}  # the invoking user's files


@root_only
@pytest.mark.slow
def test_exec__as_root_in_a_user_namespace_behind_a_private_folder(data_dir):
    """As root PostgreSQL runs as 'nobody' in a user namespace: it works even behind a 0700
    folder (no ancestor is opened up) and every file stays root's."""
    private = data_dir / "private"
    private.mkdir(mode=0o700)
    data = private / "d"
    result = _probe(_environ(data, **{devservices.RUN_AS_VARIABLE: "namespace"}))
    assert "as 'nobody' in a user namespace" in result.stdout
    assert private.stat().st_mode & 0o777 == 0o700
    assert data_dir.stat().st_mode & 0o777 == 0o755
    assert _owners(data) == {0}
    assert _processes_using(data) == []


@root_only
@pytest.mark.slow
def test_exec__as_root_as_the_system_user_then_the_files_are_given_back(data_dir):
    """Where namespaces are not allowed (forced here), PostgreSQL runs as hcop-postgres, which
    owns the data folder only while the server runs."""
    owner_probe = (
        "import os, pathlib, pwd; "
        "d = pathlib.Path(os.environ['HCOP_DATA_DIR']) / 'postgres-18'; "
        "print('owner', pwd.getpwuid(d.stat().st_uid).pw_name)"
    )
    environ = _environ(data_dir, **{devservices.RUN_AS_VARIABLE: "system-user"})
    result = _probe(environ, "\n" + owner_probe)
    assert f"as the system user {devservices.SYSTEM_USER}" in result.stdout
    assert f"owner {devservices.SYSTEM_USER}" in result.stdout
    assert _owners(data_dir) == {0}
    assert _processes_using(data_dir) == []


@pytest.mark.slow
def test_exec__a_second_launcher_on_busy_sockets_fails_in_one_line(data_dir):
    """While one launcher runs, a second on the same data folder says why, in one line, and
    leaves the first one serving."""
    environ = _environ(data_dir)
    first = subprocess.Popen(
        _launcher(sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"),
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "ready" not in line and time.monotonic() < deadline:
            line = first.stdout.readline()
            assert line or first.poll() is None, first.stderr.read()
        second = subprocess.run(
            _launcher(sys.executable, "-c", PROBE),
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert second.stderr.startswith("error: embedded PostgreSQL: socket ")
        assert "is in use" in second.stderr
        assert second.stderr.count("\n") == 1
        assert first.poll() is None  # the first launcher still runs
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.communicate(timeout=60)  # waits and closes the pipes
    assert _processes_using(data_dir) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://u@h/d", "error: DATABASE_URL must be a postgres://"),
        ("REDIS_URL", "http://h:1/0", "error: REDIS_URL must be a redis://"),
    ],
)
def test_exec__malformed_urls_are_one_clear_line_and_start_nothing(
    data_dir, variable, value, message
):
    """A malformed URL stops the launcher before anything starts."""
    environ = {**_environ(data_dir), variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "app.devservices", "exec", "--", "true"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert list(data_dir.iterdir()) == []


def test_postgres_identity__neither_way_as_root_is_one_line_saying_what_to_do(
    data_dir, monkeypatch
):
    """As root without unshare and with the data behind a private folder (so the system user
    could not reach it), the launcher says so in one line with the way out."""
    private = data_dir / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(devservices.os, "geteuid", lambda: 0)
    monkeypatch.setenv("PATH", str(data_dir / "empty"))
    monkeypatch.delenv(devservices.RUN_AS_VARIABLE, raising=False)
    with pytest.raises(devservices.LauncherError) as caught:
        devservices.postgres_identity(private / "data", data_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("embedded PostgreSQL cannot run as root")
    assert "no unshare command" in message
    assert f"could not reach {private / 'data'} ({private} is private)" in message
    assert "run it as a normal user, or set DATABASE_URL to a PostgreSQL server" in message
    assert private.stat().st_mode & 0o777 == 0o700  # nothing opened up


def test_postgres_identity__a_normal_user_runs_it_directly(monkeypatch, tmp_path):
    """Not root: no namespace, no system user, nothing handed over."""
    monkeypatch.setattr(devservices.os, "geteuid", lambda: 1000)
    identity = devservices.postgres_identity(tmp_path, tmp_path)
    assert (identity.kind, identity.prefix, identity.popen_kwargs()) == ("self", [], {})


def test_postgres_identity__rejects_an_unknown_forced_way(monkeypatch, tmp_path):
    monkeypatch.setattr(devservices.os, "geteuid", lambda: 0)
    monkeypatch.setenv(devservices.RUN_AS_VARIABLE, "sudo")
    with pytest.raises(devservices.LauncherError, match="must be 'namespace' or 'system-user'"):
        devservices.postgres_identity(tmp_path, tmp_path)


def test_exec__sigint_stops_a_launcher_started_in_the_background(tmp_path):
    """Started with SIGINT ignored (as a shell starts `make demo &`), SIGINT still stops the
    launcher and its child instead of being ignored by both."""
    started = tmp_path / "child-started"
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    child = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "app.devservices", "exec", "--", sys.executable, "-c", child],
        cwd=ROOT,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    try:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.exists(), "the child never started"
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(10) is not None
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


def _free_port_with_simulator_port() -> int:
    """A free port P with P + 100 free too (``make demo`` serves the simulator there)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 > 65535:
            continue
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port + 100))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


@pytest.mark.slow
def test_make_test__passes_on_the_embedded_default(data_dir):
    """`make test` without DATABASE_URL/REDIS_URL (as root: the launcher's own namespace)
    runs database tests on the embedded servers and leaves nothing running."""
    result = subprocess.run(
        ["make", "test", "PYTEST_ARGS=tests/app/test_operator_account.py -q"],
        cwd=ROOT,
        env=_environ(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "embedded PostgreSQL 18 running" in result.stdout
    assert "2 passed" in result.stdout
    assert _processes_using(data_dir) == []


def _connections_seen_by_the_operator(url: str, deadline: float) -> list:
    """Log in as the demo operator and poll Connections (JSON) until it lists a connection."""
    import requests

    session = requests.Session()
    session.get(f"{url}accounts/login/", timeout=10)
    session.post(
        f"{url}accounts/login/",
        data={
            "username": "operator",
            "password": "operator-demo",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
    )
    connections: list = []
    while not connections and time.monotonic() < deadline:
        response = session.get(f"{url}connections/status.json", timeout=10)
        assert response.status_code == 200, response.text[:200]
        connections = response.json()["connections"]
        if not connections:
            time.sleep(0.5)
    return connections


@pytest.mark.slow
def test_make_demo__serves_health_then_ctrl_c_leaves_nothing(data_dir):
    """`make demo` without DATABASE_URL/REDIS_URL lists the simulated connection on the
    Connections page within seconds of printing its URL and serves /health/ 200; Ctrl-C
    (SIGINT to the terminal's process group) stops every process it started."""
    port = _free_port_with_simulator_port()
    log = data_dir.parent / f"{data_dir.name}.log"  # a file: a full pipe would stall the demo
    url = f"http://127.0.0.1:{port}/"
    with open(log, "w") as out:
        demo = subprocess.Popen(
            ["make", "demo"],
            cwd=ROOT,
            env={
                k: v
                for k, v in _environ(data_dir, PORT=str(port)).items()
                if k not in {"ADMIN_USERNAME", "ADMIN_PASSWORD", "DEMO_PASSWORD"}
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while url not in log.read_text() and time.monotonic() < deadline:
            assert demo.poll() is None, log.read_text()
            time.sleep(0.2)
        assert url in log.read_text()
        printed_at = time.monotonic()
        # The first minute is not empty: a starting worker fetches the connection status.
        connections = _connections_seen_by_the_operator(url, deadline)
        assert connections, log.read_text()
        assert time.monotonic() - printed_at < 30
        status = None
        while status != 200 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}health/?format=json", timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as error:  # 500 while the worker still starts
                status = error.code
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=60)
        output = log.read_text()
        log.unlink()
    # make itself dies of the SIGINT once its child (the launcher) has stopped everything.
    assert demo.returncode in (0, -signal.SIGINT), output
    assert "Stopping" in output
    assert _processes_using(data_dir) == []
