"""The /health/ and /health/live/ endpoints."""

import json

import pytest
from celery.contrib.testing.worker import start_worker

from app.celery import app as celery_app


@pytest.fixture
def celery_worker():
    """A real Celery worker on the in-memory broker of the test settings."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def _json(response) -> dict:
    return json.loads(response.content)


def _check(results: dict, prefix: str) -> str:
    (value,) = [v for k, v in results.items() if k.startswith(prefix)]
    return value


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
def test_health__core_dependencies_pass_with_a_worker(client, celery_worker):
    """Database, cache, Redis and a live Celery worker are reported OK, as JSON, without login."""
    response = client.get("/health/?format=json")
    results = _json(response)
    assert _check(results, "Database") == "OK"
    assert _check(results, "Cache") == "OK"
    assert _check(results, "Redis") == "OK"
    assert _check(results, "Ping") == "OK"


@pytest.mark.django_db
def test_health__accept_header_selects_json(client, celery_worker):
    """An ``Accept: application/json`` request gets JSON too."""
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert "Database(alias='default')" in _json(response)


@pytest.mark.django_db
def test_health__no_worker_is_a_500_naming_celery(client):
    """Without a worker the endpoint fails and names the Celery check."""
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert "unavailable" in _check(_json(response), "Ping").lower()


@pytest.mark.django_db
def test_health__cache_down_is_a_500_naming_the_cache(client, settings, celery_worker):
    """A Redis cache on a closed port fails the Cache check, and only that one."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/health/?format=json")
    results = _json(response)
    assert response.status_code == 500
    assert _check(results, "Cache") != "OK"
    assert _check(results, "Database") == "OK"


@pytest.mark.django_db
def test_health__redis_down_is_a_500_naming_redis(client, settings, celery_worker):
    """The Redis check follows REDIS_URL; a closed port is reported as Redis unavailable."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert _check(_json(response), "Redis") != "OK"


@pytest.mark.django_db(transaction=True)
def test_health__database_down_is_a_500_without_leaking_the_password(client):
    """A broken database is named; its credentials never appear in the answer."""
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
    assert _check(_json(response), "Database") != "OK"
    assert secret not in response.content.decode()


def test_health__exempt_from_the_https_redirect(settings):
    """Probes over plain HTTP must not be redirected to HTTPS."""
    import re

    assert any(re.match(pattern, "health/") for pattern in settings.SECURE_REDIRECT_EXEMPT)
    assert any(re.match(pattern, "health/live/") for pattern in settings.SECURE_REDIRECT_EXEMPT)


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
        yield api


def _connect_mapping_state(api, state: str) -> None:
    api.add(
        "GET",
        "/connections/c-1",
        body={"state": "IDLE", "mappings": [{"object_name": "Contact", "state": state}]},
    )


@pytest.mark.django_db
def test_health__heroku_connect_passes_when_the_api_is_healthy(client, celery_worker, connect_api):
    """Every check, Heroku Connect included, is OK: 200."""
    _connect_mapping_state(connect_api, "DATA_SYNCED")
    response = client.get("/health/?format=json")
    results = _json(response)
    assert _check(results, "Heroku Connect") == "OK"
    assert response.status_code == 200, results


@pytest.mark.django_db
def test_health__heroku_connect_failure_is_named(client, connect_api):
    """A mapping in BAD_CONFIG fails /health/ and the report names Heroku Connect."""
    _connect_mapping_state(connect_api, "BAD_CONFIG")
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    message = _check(_json(response), "Heroku Connect")
    assert message == "Unavailable: mapping Contact on connection hcop is in state BAD_CONFIG"
    assert "health-secret-token" not in response.content.decode()


@pytest.mark.django_db
def test_health__heroku_connect_api_down_is_named(client, connect_api, settings):
    """An unreachable API fails the Heroku Connect check only; the token never shows."""
    settings.HEROKU_CONNECT_API_ENDPOINT = "http://127.0.0.1:1/api/v3"
    response = client.get("/health/?format=json")
    results = _json(response)
    assert response.status_code == 500
    assert _check(results, "Heroku Connect") == (
        "Unexpected Result: Unable to retrieve connection state: "
        "the Heroku Connect API is unreachable"
    )
    assert _check(results, "Database") == "OK"
    assert "health-secret-token" not in response.content.decode()
