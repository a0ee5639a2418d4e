"""Library settings: defaults from the environment, project settings win, lazy reads."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from heroku_connect import conf

REPO = Path(__file__).resolve().parents[2]

SETTINGS_NAMES = [
    "HEROKU_CONNECT_SCHEMA",
    "HEROKU_CONNECT_ORGANIZATION_ID",
    "HEROKU_CONNECT_APP_NAME",
    "HEROKU_CONNECT_API_ENDPOINT",
    "HEROKU_AUTH_TOKEN",
    "HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS",
    "HEROKU_CONNECT_HEALTH_CACHE_SECONDS",
]

_SCRIPT = """
import json, sys
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["heroku_connect"], **json.loads(sys.argv[1]))
django.setup()
from heroku_connect.conf import settings as hc_settings
names = json.loads(sys.argv[2])
print(json.dumps({
    "values": {n: getattr(hc_settings, n, "<missing>") for n in names},
    "prefixed_token": hasattr(hc_settings, "HEROKU_CONNECT_HEROKU_AUTH_TOKEN"),
}))
"""


def _settings_in_fresh_process(env: dict[str, str], project_settings: dict | None = None):
    """Import the library in a new interpreter (defaults are computed at import)."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("HEROKU")}
    clean_env.pop("DJANGO_SETTINGS_MODULE", None)
    clean_env.update(env, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _SCRIPT, json.dumps(project_settings or {}),
         json.dumps(SETTINGS_NAMES)],
        env=clean_env, cwd="/", capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_conf__reexports_django_settings():
    """heroku_connect.conf.settings is django.conf.settings."""
    from django.conf import settings

    assert conf.settings is settings
    assert conf.__all__ == ("settings",)


def test_conf__defaults_without_environment():
    """All settings exist with their documented defaults."""
    result = _settings_in_fresh_process({})
    assert result["values"] == {
        "HEROKU_CONNECT_SCHEMA": "salesforce",
        "HEROKU_CONNECT_ORGANIZATION_ID": "",
        "HEROKU_CONNECT_APP_NAME": "",
        "HEROKU_CONNECT_API_ENDPOINT": "https://connect-eu.heroku.com/api/v3",
        "HEROKU_AUTH_TOKEN": "",
        "HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS": 300,
        "HEROKU_CONNECT_HEALTH_CACHE_SECONDS": 0,
    }


def test_conf__auth_token_default_comes_from_environment():
    """HEROKU_AUTH_TOKEN is a real setting fed by the environment (not a prefixed name)."""
    result = _settings_in_fresh_process(
        {
            "HEROKU_AUTH_TOKEN": "token-from-env",
            "HEROKU_APP_NAME": "dyno-app",
            "HEROKU_CONNECT_SCHEMA": "sf",
            "HEROKU_CONNECT_ORGANIZATION_ID": "00Dabc",
            "HEROKU_CONNECT_API_ENDPOINT": "https://connect-us.heroku.com/api/v3",
        }
    )
    values = result["values"]
    assert values["HEROKU_AUTH_TOKEN"] == "token-from-env"
    assert values["HEROKU_CONNECT_APP_NAME"] == "dyno-app"
    assert values["HEROKU_CONNECT_SCHEMA"] == "sf"
    assert values["HEROKU_CONNECT_ORGANIZATION_ID"] == "00Dabc"
    assert values["HEROKU_CONNECT_API_ENDPOINT"] == "https://connect-us.heroku.com/api/v3"
    assert result["prefixed_token"] is False


def test_conf__project_settings_win():
    """A project setting overrides the environment default."""
    result = _settings_in_fresh_process(
        {"HEROKU_AUTH_TOKEN": "from-env"},
        {"HEROKU_AUTH_TOKEN": "from-settings", "HEROKU_CONNECT_HEALTH_CACHE_SECONDS": 5},
    )
    assert result["values"]["HEROKU_AUTH_TOKEN"] == "from-settings"
    assert result["values"]["HEROKU_CONNECT_HEALTH_CACHE_SECONDS"] == 5


@pytest.mark.parametrize("name", SETTINGS_NAMES)
def test_conf__read_lazily(name):
    """override_settings changes what the library reads."""
    with override_settings(**{name: "overridden"}):
        assert getattr(conf.settings, name) == "overridden"
