"""The /health/ and /health/live/ endpoints: names, formats, status codes, no service details."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from app.celery import app as celery_app
from app.health import heartbeat

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["database", "cache", "redis", "celery", "heroku_connect"]

_held = threading.Event()
_release = threading.Event()


@celery_app.task(name="tests.app.test_health.hold")
def hold(seconds: float) -> str:
    """A long task: keeps a solo worker busy until released."""
    _held.set()
    _release.wait(seconds)
    return "released"


@pytest.fixture
def celery_worker():
    """A real Celery worker (solo pool) on the in-memory broker of the test settings."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield


@pytest.fixture
def no_heartbeat():
    """No worker heartbeat left over from an earlier test's worker."""
    cache.delete(heartbeat.HEARTBEAT_KEY)
    yield
    cache.delete(heartbeat.HEARTBEAT_KEY)


@pytest.fixture
def connect_api(settings):
    """A fake Heroku Connect API on a real local socket; the library settings point at it."""
    from tests.heroku_connect.api.fake_api import FakeConnectAPI, serving

    with serving(FakeConnectAPI()) as api:
        settings.HEROKU_CONNECT_API_ENDPOINT = api.api_url
        settings.HEROKU_AUTH_TOKEN = "health-secret-token"
        settings.HEROKU_CONNECT_APP_NAME = "hcop-test"
        settings.HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0  # each request asks the API
        api.add("GET", "/connections", body={"results": [{"id": "c-1", "name": "hcop"}]})
        _connect_states(api)
        yield api


def _connect_states(api, *, connection: str = "IDLE", mapping: str = "DATA_SYNCED") -> None:
    api.add(
        "GET",
        "/connections/c-1",
        body={"state": connection, "mappings": [{"object_name": "Contact", "state": mapping}]},
    )


def _json(response) -> dict:
    return json.loads(response.content)


def test_live__answers_without_touching_dependencies(client, settings):
    """The liveness URL answers 200 without login, database access (blocked here) or cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health__all_pass_with_stable_names(client, celery_worker, connect_api):
    """Every dependency OK: 200, and the JSON keys are the five stable names, in order."""
    response = client.get("/health/?format=json")
    assert response.status_code == 200, response.content
    assert list(_json(response).items()) == [(name, "OK") for name in NAMES]


@pytest.mark.django_db
def test_health__names_in_every_format(client, celery_worker, connect_api):
    """HTML rows, text lines and metrics labels use the same names; no repr, no address."""
    html = client.get("/health/").content.decode()
    assert re.findall(r'<td data-label="Service">([^<]*)</td>', html) == NAMES
    text = client.get("/health/?format=text").content.decode()
    assert [line.split(":")[0] for line in text.splitlines()] == NAMES
    metrics = client.get("/health/?format=openmetrics").content.decode()
    assert set(re.findall(r"django_health_check_status\{([^}]*)\}", metrics)) == {
        f'check="{name}"' for name in NAMES
    }
    for body in (html, text, metrics):
        assert "0x" not in body
        assert "Celery app" not in body


_TWO_PROCESS_PROBE = """
import django
django.setup()
from django.test import Client
print(Client(HTTP_HOST="localhost").get("/health/?format=json").content.decode())
"""


def test_health__names_are_the_same_in_two_processes():
    """Two separate app processes (two deploys) report the very same keys."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings.test"}
    keys = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", _TWO_PROCESS_PROBE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        keys.append(list(json.loads(result.stdout.strip().splitlines()[-1])))
    assert keys == [NAMES, NAMES]


@pytest.mark.django_db
def test_health__accept_header_selects_json(client, celery_worker, connect_api):
    """An ``Accept: application/json`` request gets JSON too."""
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert "database" in _json(response)


# --- Celery: busy is not dead ----------------------------------------------------------------


@pytest.mark.django_db
def test_health__no_worker_is_a_500_naming_celery(client, no_heartbeat):
    """No worker has ever written a heartbeat: the Celery check fails, named."""
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert _json(response)["celery"] == (
        "Unavailable: Celery workers unavailable: no worker heartbeat"
    )


@pytest.mark.django_db(transaction=True)
def test_health__busy_worker_is_not_unavailable(client, settings, no_heartbeat):
    """A real solo worker running a long task does not answer a ping, but /health/ still
    reports Celery OK: its heartbeat thread keeps beating."""
    settings.HEALTH_WORKER_HEARTBEAT_SECONDS = 0.2
    _held.clear()
    _release.clear()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = hold.delay(20)
        assert _held.wait(10), "the worker did not start the task"
        try:
            assert celery_app.control.ping(timeout=0.5) == []  # a ping-based check would fail
            time.sleep(0.5)  # several heartbeats while busy
            assert _json(client.get("/health/?format=json"))["celery"] == "OK"
            assert heartbeat.heartbeat_age() < 0.5
        finally:
            _release.set()
        assert result.get(timeout=10) == "released"


@pytest.mark.django_db
def test_health__stopped_worker_is_unavailable_after_the_tolerance(client, settings, no_heartbeat):
    """After the worker stops, Celery is OK until HEALTH_WORKER_STALE_SECONDS, then a 500
    saying how long ago the last heartbeat was."""
    settings.HEALTH_WORKER_HEARTBEAT_SECONDS = 0.1
    settings.HEALTH_WORKER_STALE_SECONDS = 0.5
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert _json(client.get("/health/?format=json"))["celery"] == "OK"
    time.sleep(0.6)
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert re.fullmatch(
        r"Unavailable: Celery workers unavailable: last heartbeat \d+ s ago",
        _json(response)["celery"],
    )


# --- other dependencies down -----------------------------------------------------------------


@pytest.mark.django_db
def test_health__cache_down_is_a_500_naming_the_cache(client, settings, celery_worker):
    """A Redis cache on a closed port fails the cache check (and, reading the heartbeat there,
    the Celery one), not the database."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/health/?format=json")
    results = _json(response)
    assert response.status_code == 500
    assert results["cache"] == "Unexpected Result: Connection Error"
    assert results["celery"] == (
        "Unavailable: Celery workers not known: the cache holding their heartbeat is unavailable"
    )
    assert results["database"] == "OK"


@pytest.mark.django_db
def test_health__redis_down_is_a_500_naming_redis(client, settings, celery_worker):
    """The Redis check follows REDIS_URL; a closed port is reported as Redis unavailable."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert _json(response)["redis"] == ("Unavailable: Unable to connect to Redis: Connection Error")


@pytest.mark.django_db(transaction=True)
def test_health__database_down_is_a_500_without_host_port_or_password(client):
    """A broken database is named; its host, port and credentials never appear."""
    from django.db import connections

    secret = "s3cret-db-password"
    original = dict(connections["default"].settings_dict)
    connections["default"].close()
    connections["default"].settings_dict.update({"PORT": "1", "PASSWORD": secret})
    try:
        response = client.get("/health/?format=json")
    finally:
        connections["default"].close()
        connections["default"].settings_dict.update(
            {"PORT": original["PORT"], "PASSWORD": original["PASSWORD"]}
        )
    assert response.status_code == 500
    assert _json(response)["database"] == "Unavailable: Database unavailable (OperationalError)"
    body = response.content.decode()
    assert secret not in body
    assert "127.0.0.1" not in body


def test_health__exempt_from_the_https_redirect(settings):
    """Probes over plain HTTP must not be redirected to HTTPS."""
    assert any(re.match(pattern, "health/") for pattern in settings.SECURE_REDIRECT_EXEMPT)
    assert any(re.match(pattern, "health/live/") for pattern in settings.SECURE_REDIRECT_EXEMPT)


# --- no service details in the public output ---------------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of our own on a free port, with a password (never the shared server)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = "redis-pass-7f3a"
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password,
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield port, password
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.django_db
def test_health__no_host_port_index_or_url_in_any_format(
    client, settings, private_redis, celery_worker, connect_api
):
    """With REDIS_URL carrying a password and a database index, every format of /health/ is
    OK and names no host, port, database index, URL or password of any service, also when the
    services fail."""
    port, password = private_redis
    url = f"redis://:{password}@127.0.0.1:{port}/7"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "health-test",
        }
    }
    heartbeat.beat()  # the worker above beats into the shared cache; this one is private
    forbidden = re.compile(
        rf"127\.0\.0\.1|localhost|redis://|postgres|{password}|(?<![\d.]){port}(?!\d)"
        r"|(?<![\d.])5432(?!\d)|db=|'db'|\bhost\b|\bport\b|/7\b|health-secret-token"
    )
    formats = ["", "?format=json", "?format=text", "?format=atom", "?format=rss",
               "?format=openmetrics"]  # fmt: skip
    response = client.get("/health/?format=json")
    assert response.status_code == 200, response.content
    for query in formats:
        body = client.get("/health/" + query).content.decode()
        assert not forbidden.search(body), (query, forbidden.search(body))
    settings.REDIS_URL = f"redis://:wrong-{password}@127.0.0.1:{port}/7"
    settings.HEROKU_CONNECT_API_ENDPOINT = f"http://127.0.0.1:{port}/api/v3"  # not an API
    failing = client.get("/health/?format=json")
    assert failing.status_code == 500
    assert not forbidden.search(failing.content.decode()), failing.content


# --- Heroku Connect: not configured, warnings, failures ----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("app_name", "token", "missing"),
    [
        ("", "a-token", ["no app name (set HEROKU_CONNECT_APP_NAME"]),
        ("my-app", "", ["no API token (set HEROKU_CONNECT_API_TOKEN)"]),
        ("", "", ["no app name", "and no API token"]),
    ],
)
def test_health__unconfigured_heroku_connect_is_a_500_saying_so(
    client, settings, connect_api, app_name, token, missing
):
    """Without an app name or token /health/ never says OK while watching nothing: 500, and
    the message says what is missing and how to set it; the API is not called."""
    settings.HEROKU_CONNECT_APP_NAME = app_name
    settings.HEROKU_AUTH_TOKEN = token
    heartbeat.beat()
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    message = _json(response)["heroku_connect"]
    assert message.startswith("Unavailable: Heroku Connect is not watched: ")
    assert all(part in message for part in missing)
    assert connect_api.requests == []


@pytest.mark.django_db
def test_health__paused_connection_is_200_with_a_warning_in_every_format(client, connect_api):
    """A paused connection (a warning in the state table): 200, the warning shown in JSON,
    text and HTML."""
    heartbeat.beat()
    _connect_states(connect_api, connection="PAUSED")
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    assert _json(response)["heroku_connect"] == ("Warning: Connection state for 'hcop' is 'PAUSED'")
    text = client.get("/health/?format=text")
    assert text.status_code == 200
    assert (
        "heroku_connect: Warning: Connection state for 'hcop' is 'PAUSED'" in text.content.decode()
    )
    html = client.get("/health/")
    assert html.status_code == 200
    page = html.content.decode()
    assert "System status:\n    working, with warnings" in page
    assert '<tr class="warning">' in page
    assert '<tr class="error">' not in page


@pytest.mark.django_db
def test_health__mapping_being_created_is_200_with_a_warning(client, connect_api):
    """A mapping in INITIAL (in progress): 200 with a warning naming it."""
    heartbeat.beat()
    _connect_states(connect_api, mapping="INITIAL")
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    assert _json(response)["heroku_connect"] == (
        "Warning: mapping Contact on connection hcop is in state INITIAL"
    )


@pytest.mark.django_db
def test_health__failing_state_wins_over_a_warning(client, connect_api):
    """A mapping in BAD_CONFIG on a paused connection: 500, both named."""
    heartbeat.beat()
    _connect_states(connect_api, connection="PAUSED", mapping="BAD_CONFIG")
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert _json(response)["heroku_connect"] == (
        "Unavailable: Connection state for 'hcop' is 'PAUSED'; "
        "mapping Contact on connection hcop is in state BAD_CONFIG"
    )
    assert '<tr class="error">' in client.get("/health/").content.decode()


@pytest.mark.django_db
def test_health__heroku_connect_api_down_is_named(client, connect_api, settings):
    """An unreachable API fails the Heroku Connect check only; the token never shows."""
    heartbeat.beat()
    settings.HEROKU_CONNECT_API_ENDPOINT = "http://127.0.0.1:1/api/v3"
    response = client.get("/health/?format=json")
    results = _json(response)
    assert response.status_code == 500
    assert results["heroku_connect"] == (
        "Unexpected Result: Unable to retrieve connection state: "
        "the Heroku Connect API is unreachable"
    )
    assert results["database"] == "OK"
    assert "health-secret-token" not in response.content.decode()


@pytest.mark.slow
@pytest.mark.django_db
def test_health__killed_worker_process_is_unavailable(client, settings, no_heartbeat):
    """A worker started as the Procfile does (``celery -A app worker``) beats; killed with
    SIGKILL (no shutdown code runs), it is reported unavailable once its heartbeat is older
    than HEALTH_WORKER_STALE_SECONDS, and OK until then."""
    import signal

    settings.HEALTH_WORKER_STALE_SECONDS = 6  # the worker beats every 5 s (its settings)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings.test"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app", "worker", "--pool", "solo",
         "--loglevel", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while heartbeat.heartbeat_age() is None:
            assert worker.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "no heartbeat from the worker"
            time.sleep(0.1)
        assert _json(client.get("/health/?format=json"))["celery"] == "OK"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    killed_at = time.monotonic()
    assert _json(client.get("/health/?format=json"))["celery"] == "OK"  # within the tolerance
    while (celery := _json(client.get("/health/?format=json"))["celery"]) == "OK":
        assert time.monotonic() - killed_at < 15, "still OK long after the kill"
        time.sleep(0.25)
    assert re.fullmatch(
        r"Unavailable: Celery workers unavailable: last heartbeat \d+ s ago", celery
    )
    assert int(celery.split()[-3]) >= 6
