"""Probes share Heroku Connect API answers (HEROKU_CONNECT_HEALTH_CACHE_SECONDS set).

Concurrent probes make one API call, in one thread per process and one process per cache; a
slow or hanging API never holds more than one waiting probe; the last answer is served while
a new one is fetched. On the real Redis cache of the test settings, with a fake API on a real
socket and the simulator's faults (500, hang).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from heroku_connect import health
from heroku_connect.health import NOT_KNOWN_YET, HealthProblem, connect_health
from heroku_connect.simulator.control import ControlClient
from tests.heroku_connect.api.fake_api import FakeConnectAPI, Reply

ROOT = Path(__file__).resolve().parents[3]


def _serve(api: FakeConnectAPI, *, delay: float = 0.0, state: str = "IDLE") -> None:
    api.add(
        "GET", "/connections", Reply(200, {"results": [{"id": "c-1", "name": "hcop"}]}, delay=delay)
    )
    api.add("GET", "/connections/c-1", body={"state": state, "mappings": []})


def _list_calls(api: FakeConnectAPI) -> int:
    return sum(1 for r in api.requests if r.path.endswith("/connections"))


def _concurrently(count: int, probe: Callable[[], list[HealthProblem]]):
    """Run ``probe`` in ``count`` threads released together; (problems, seconds) per thread."""
    barrier = threading.Barrier(count)
    results: list[tuple[list[HealthProblem], float]] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        started = time.monotonic()
        problems = probe()
        with lock:
            results.append((problems, time.monotonic() - started))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == count
    return results


def _probe(api_url: str, *, cache_seconds: float = 60, timeout: float = 5.0):
    def probe() -> list[HealthProblem]:
        return connect_health(
            app_name="hcop-test",
            endpoint=api_url,
            token="t",
            cache_seconds=cache_seconds,
            timeout=timeout,
        )

    return probe


def _wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_sharing__concurrent_cold_probes_make_one_call_and_one_waits(fake_api):
    """20 probes with nothing cached: one API call; one probe waits for it, the others answer
    'not known yet' at once instead of holding their threads."""
    _serve(fake_api, delay=0.5)
    results = _concurrently(20, _probe(fake_api.api_url))
    assert _list_calls(fake_api) == 1
    waited = [seconds for problems, seconds in results if problems == []]
    assert len(waited) == 1
    assert waited[0] >= 0.4
    pending = [(problems, seconds) for problems, seconds in results if problems != []]
    assert len(pending) == 19
    assert all(problems[0].message == NOT_KNOWN_YET for problems, _ in pending)
    assert all(problems[0].severity == "warning" for problems, _ in pending)
    assert max(seconds for _, seconds in pending) < 0.3


def test_sharing__stale_answer_served_at_once_while_one_refresh_hangs(fake_api):
    """Once the answer is old, every probe gets it at once (no thread waits for the hanging
    API); one call goes out; when it times out, its failure replaces the answer."""
    _serve(fake_api)
    probe = _probe(fake_api.api_url, cache_seconds=0.5, timeout=1.0)
    assert probe() == []
    time.sleep(0.6)
    _serve(fake_api, delay=3.0)  # hangs past the 1 s timeout
    results = _concurrently(30, probe)
    assert all(problems == [] for problems, _ in results)  # the last answer: healthy
    assert max(seconds for _, seconds in results) < 0.3
    _wait_for(lambda: _list_calls(fake_api) == 2)  # the one refresh (a background thread)
    _wait_for(lambda: probe() != [])
    (problem,) = probe()
    assert problem.message == (
        "Unable to retrieve connection state: the Heroku Connect API did not answer within 1 s"
    )
    assert _list_calls(fake_api) == 2


def test_sharing__failure_reused_then_recovery_seen(fake_api, monkeypatch, settings):
    """A failed answer is reused for FAILURE_CACHE_SECONDS, not the whole cache period."""
    monkeypatch.setattr(health, "FAILURE_CACHE_SECONDS", 0.3)
    settings.HEROKU_CONNECT_API_RETRIES = 0  # the 503 is the answer, not retried away
    fake_api.add("GET", "/connections", Reply(503, {}), Reply(200, {"results": []}))
    probe = _probe(fake_api.api_url)
    assert [p.message for p in probe()] == [
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 503"
    ]
    probe()
    assert _list_calls(fake_api) == 1
    time.sleep(0.35)
    _wait_for(lambda: probe() == [])
    assert _list_calls(fake_api) == 2


_PROCESS_PROBE = """
import json, sys, time
import django
django.setup()
from heroku_connect.health import connect_health
endpoint, start = sys.argv[1], float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
problems = connect_health(app_name="hcop-test", endpoint=endpoint, token="t", cache_seconds=60,
                          timeout=5)
print(json.dumps([p.message for p in problems]))
"""


def test_sharing__processes_share_one_call_through_the_cache(fake_api):
    """Three processes (like gunicorn workers) probing at once make one API call: the others
    wait for its answer in the shared Redis cache."""
    _serve(fake_api, delay=0.5)
    start = time.time() + 4  # after every interpreter has set Django up
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings.test"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_PROBE, fake_api.api_url, str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert [json.loads(out) for out, _ in outputs] == [[], [], []]
    assert _list_calls(fake_api) == 1


@pytest.fixture
def sim_probe(simulator, settings):
    """The library check against the simulator with the cache on (the app's 60 s)."""
    settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
    return ControlClient(simulator.base_url)


def test_sharing__simulated_500_is_named(simulator, sim_probe):
    """The simulator answering 500: one problem naming HTTP 500, the token nowhere."""
    sim_probe.set_faults(status=500)
    (problem,) = connect_health(timeout=2)
    assert problem.message == (
        "Unable to retrieve connection state: the Heroku Connect API answered HTTP 500"
    )
    assert simulator.token not in problem.message


def test_sharing__simulated_hang_is_bounded_and_called_once(simulator, sim_probe):
    """The simulator hanging: 25 concurrent probes return within the 1 s timeout (plus the
    margin), only one of them waited, and the simulator got one call."""
    sim_probe.set_faults(timeout=True, timeout_seconds=5)
    before = sim_probe.status()["api_requests"]
    results = _concurrently(25, lambda: connect_health(timeout=1))
    assert max(seconds for _, seconds in results) < 2.0
    assert sim_probe.status()["api_requests"] == before + 1
    messages = sorted({problems[0].message for problems, _ in results})
    assert messages == [
        NOT_KNOWN_YET,
        "Unable to retrieve connection state: the Heroku Connect API did not answer within 1 s",
    ]
    sim_probe.clear_faults()
