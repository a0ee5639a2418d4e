"""Uptime pollers on /health/ beside a logged-in page, on a real gunicorn (issue 9, item 5).

The project's ``gunicorn.conf.py`` (2 workers x 5 threads, as on a Basic dyno) serves the app
on the scratch database and ``REDIS_URL``, a Celery worker started like the Procfile's beats,
and the simulator stands in for the Heroku Connect API. 50 pollers each ask ``/health/?format=json``
once a second (a new connection each time, like uptime monitors) while a logged-in Viewer
loads the overview page over and over. Two scenarios, each with a fresh simulator, so the
app starts without any cached Heroku Connect answer:

* API healthy;
* API hanging (every call answered after 60 s): the worst case, nothing cached yet.

Columns: "rows" = pollers; "stmts" = Heroku Connect API calls during the window; "base stmts"
= /health/ answers during the window; "time ms" = p95 under the pollers; "base ms" = the
page's p95 without pollers. Target: the page's p95 under 1 s in both scenarios (the /health/
lines are for information). Each window lasts 2 s x ``--repeat`` (at most 10 s).
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import Options, Result

ROOT = Path(__file__).resolve().parent.parent
POLLERS = 50
POLL_INTERVAL = 1.0
PAGE_TARGET_SECONDS = 1.0
HANG_SECONDS = 60.0
CLIENT_TIMEOUT = 35.0  # above the router's 30 s: a starved request shows up, not a client error


@dataclass(frozen=True)
class LoadResult(Result):
    """A p95 judged against an absolute budget (None: for information)."""

    max_seconds: float | None = None

    @property
    def verdict(self) -> str:
        if self.max_seconds is None:
            return "info"
        return "ok" if self.seconds <= self.max_seconds else "SLOW"


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(predicate, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(requests.RequestException):
            if predicate():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {seconds:g} s")
        time.sleep(0.1)


def _app_environment(extra: dict[str, str]) -> dict[str, str]:
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.development",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the bench's session cookie must verify
        "WEB_CONCURRENCY": "2",
        **extra,
    }


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], name: str) -> Iterator[None]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            yield
        except Exception:
            log.seek(0)
            sys.stderr.write(
                f"--- {name} output ---\n{log.read()[-3000:].decode(errors='replace')}\n"
            )
            raise
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@contextlib.contextmanager
def _gunicorn(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app.wsgi"]
    with _process(command, {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, "gunicorn"):
        base_url = f"http://127.0.0.1:{port}"
        _wait_until(lambda: requests.get(f"{base_url}/health/live/", timeout=2).ok, 60, "gunicorn")
        yield base_url


@contextlib.contextmanager
def _worker(env: dict[str, str]) -> Iterator[None]:
    """A worker as the Procfile starts it; ready (and beating) once it answers a ping."""
    from celery import Celery

    from app.settings.environment import redis_settings

    command = [sys.executable, "-m", "celery", "-A", "app", "worker", "--pool", "solo",
               "--loglevel", "warning"]  # fmt: skip
    broker = redis_settings(env["REDIS_URL"])["CELERY_BROKER_URL"]
    with _process(command, env, "celery worker"), Celery(broker=broker) as probe:
        _wait_until(lambda: bool(probe.control.ping(timeout=0.5)), 60, "the Celery worker")
        yield


def _session_cookie() -> str:
    """A logged-in Viewer's session (stored in the scratch database gunicorn reads)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="bench-health-viewer")
    user.groups.add(Group.objects.get(name="Viewers"))
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@dataclass
class Window:
    page: list[float]
    health: list[float]
    statuses: Counter
    api_calls: int


def _measure(base_url: str, cookie: str, *, seconds: float, pollers: int, sim) -> Window:  # noqa: ANN001
    """Pollers and the page for ``seconds``; requests still running at the end are awaited."""
    stop = threading.Event()
    lock = threading.Lock()
    page: list[float] = []
    health: list[float] = []
    statuses: Counter = Counter()

    def poll(offset: float) -> None:
        time.sleep(offset)
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = requests.get(
                    f"{base_url}/health/?format=json", timeout=CLIENT_TIMEOUT
                ).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            elapsed = time.monotonic() - started
            with lock:
                health.append(elapsed)
                statuses[status] += 1
            stop.wait(max(0.0, POLL_INTERVAL - elapsed))

    def browse() -> None:
        session = requests.Session()
        session.cookies.set("sessionid", cookie)
        while not stop.is_set():
            started = time.monotonic()
            response = session.get(f"{base_url}/", timeout=CLIENT_TIMEOUT, allow_redirects=False)
            if response.status_code != 200:
                raise RuntimeError(f"the overview answered {response.status_code}")
            with lock:
                page.append(time.monotonic() - started)

    threads = [
        threading.Thread(target=poll, args=(POLL_INTERVAL * i / max(pollers, 1),))
        for i in range(pollers)
    ]
    threads.append(threading.Thread(target=browse))
    calls_before = sim.state.api_requests if sim is not None else 0
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(CLIENT_TIMEOUT + 5)
    calls = (sim.state.api_requests - calls_before) if sim is not None else 0
    return Window(page, health, statuses, calls)


@contextlib.contextmanager
def _simulator(*, hanging: bool) -> Iterator[object]:
    from heroku_connect.mapping import get_mapping
    from heroku_connect.simulator import Simulator

    sim = Simulator(os.environ["DATABASE_URL"], records_per_object=5)
    with sim:
        sim.import_mapping(get_mapping())
        sim.wait_idle()
        if hanging:
            sim.state.set_faults(timeout=True, timeout_seconds=HANG_SECONDS)
        yield sim


def run(options: Options) -> list[Result]:
    seconds = min(10.0, 2.0 * max(1, options.repeat))
    cookie = _session_cookie()
    results: list[Result] = []
    base_env = _app_environment(
        {"REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}
    )
    with _worker(base_env):
        idle_page: float | None = None
        for scenario, hanging in (("healthy", False), ("hanging", True)):
            with _simulator(hanging=hanging) as sim:
                env = _app_environment(
                    {
                        "HEROKU_CONNECT_API_ENDPOINT": sim.api_url,
                        "HEROKU_AUTH_TOKEN": sim.token,
                        "HEROKU_CONNECT_APP_NAME": sim.app_name,
                    }
                )
                with _gunicorn(env) as base_url:
                    if idle_page is None:
                        idle = _measure(base_url, cookie, seconds=seconds, pollers=0, sim=None)
                        idle_page = _p95(idle.page)
                    window = _measure(base_url, cookie, seconds=seconds, pollers=POLLERS, sim=sim)
            answers = ", ".join(f"{k}: {v}" for k, v in sorted(window.statuses.items(), key=str))
            lines = (
                ("page", _p95(window.page), PAGE_TARGET_SECONDS),
                ("/health/", _p95(window.health), None),
            )
            results += [
                LoadResult(
                    name=f"health load, API {scenario}: {what} p95 "
                    + (f"({POLLERS} pollers vs none)" if what == "page" else f"({answers})"),
                    rows=POLLERS,
                    statements=window.api_calls,
                    baseline_statements=len(window.health),
                    seconds=p95,
                    baseline_seconds=idle_page,
                    max_seconds=target,
                )
                for what, p95, target in lines
            ]
    return results
