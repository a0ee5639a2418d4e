"""The launcher behind `make demo` / `make test`: embedded PostgreSQL and Redis, clear errors.

Embedded PostgreSQL refuses root, so as root (CI) the launcher runs in a user namespace as
uid 1000, with its data in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
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


def _as_unprivileged() -> list[str]:
    """Command prefix that runs as a non-root user when we are root; nothing otherwise.

    A user namespace maps root to uid 1000: PostgreSQL sees an ordinary user while file access
    stays root's, so the same interpreter and virtualenv work.
    """
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is needed to run the launcher as non-root from root")
    return [unshare, "--user", "--map-user=1000", "--map-group=1000"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder the launcher's user owns (short path: Unix socket limits)."""
    folder = Path(f"/tmp/hcop-dev-{os.getpid()}-{tmp_path.name[-6:]}")
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(f"{folder}-xdg", ignore_errors=True)


def _environ(data: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    runtime = data.parent / f"{data.name}-xdg"  # private, as platformdirs expects
    runtime.mkdir(mode=0o700, exist_ok=True)
    environ.update(
        HCOP_DATA_DIR=str(data), HOME=str(data), XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(ROOT)
    )
    return environ


def _launcher(*command: str) -> list[str]:
    return [*_as_unprivileged(), sys.executable, "-m", "app.devservices", "exec", "--", *command]


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
    result = subprocess.run(
        _launcher(sys.executable, "-c", PROBE),
        cwd=ROOT,
        env=_environ(data_dir),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pg 1" in result.stdout
    assert "redis ok" in result.stdout
    assert "embedded PostgreSQL 18 running" in result.stdout
    assert (data_dir / "postgres-18" / "PG_VERSION").read_text().strip() == "18"
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


def test_start_postgres__refuses_root_with_the_way_out(monkeypatch):
    """As root, embedded PostgreSQL is refused with a hint to set DATABASE_URL."""
    monkeypatch.setattr(devservices.os, "geteuid", lambda: 0)
    with pytest.raises(devservices.LauncherError, match="cannot run as root; set DATABASE_URL"):
        devservices.start_postgres(devservices.ProcessGroup())


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
