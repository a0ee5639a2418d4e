"""The database backends: search_path, display names and the test-database hook."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import override_settings

from heroku_connect.db.backends.base.base import HerokuConnectDatabaseWrapperMixin
from heroku_connect.db.backends.base.creation import DatabaseCreation
from heroku_connect.db.backends.postgresql.base import DatabaseWrapper
from tests.needs import require_postgis

REPO = Path(__file__).resolve().parents[2]


def _settings_dict(**options):
    return {
        "ENGINE": "heroku_connect.db.backends.postgresql",
        "NAME": "x",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": options,
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    }


def test_postgresql_wrapper__attributes():
    """The PostgreSQL wrapper uses the mixin, its creation class and its display name."""
    assert issubclass(DatabaseWrapper, HerokuConnectDatabaseWrapperMixin)
    assert DatabaseWrapper.creation_class is DatabaseCreation
    assert DatabaseWrapper.display_name == "PostgreSQL with Heroku Connect"
    assert isinstance(connections["default"], DatabaseWrapper)


def test_postgresql_wrapper__search_path_option():
    """The libpq options put public, the HC schema and pg_catalog on the search_path."""
    settings_dict = _settings_dict()
    wrapper = DatabaseWrapper(settings_dict)
    assert settings_dict["OPTIONS"]["options"] == "-c search_path=public,salesforce,pg_catalog"
    assert wrapper.search_path == "public,salesforce,pg_catalog"
    with override_settings(HEROKU_CONNECT_SCHEMA="sf"):
        assert DatabaseWrapper(_settings_dict()).settings_dict["OPTIONS"]["options"] == (
            "-c search_path=public,sf,pg_catalog"
        )


def test_postgresql_wrapper__user_options_win():
    """An explicit OPTIONS['options'] is kept."""
    settings_dict = _settings_dict(options="-c statement_timeout=5000")
    DatabaseWrapper(settings_dict)
    assert settings_dict["OPTIONS"]["options"] == "-c statement_timeout=5000"


@pytest.mark.django_db
def test_connection__unqualified_names_find_the_heroku_connect_schema():
    """On a live connection, unqualified Heroku Connect tables resolve through search_path."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == "public,salesforce,pg_catalog"
        cursor.execute("SELECT count(*) FROM _hcmeta")
        assert cursor.fetchone()[0] == 1


_CREATE_TEST_DB = """
import json, sys
import django
from django.conf import settings
engine, url_params = sys.argv[1], json.loads(sys.argv[2])
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "heroku_connect",
                    "app.salesforce"],
    DATABASES={"default": {"ENGINE": engine, **url_params, "TEST": {"NAME": sys.argv[3]}}},
    DATABASE_ROUTERS=["heroku_connect.db.router.HerokuConnectRouter"],
    USE_TZ=True,
    HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA=json.loads(sys.argv[4]),
)
django.setup()
from django.db import connection, connections
connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
try:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'salesforce'"
        )
        tables = sorted(r[0] for r in cursor.fetchall())
        cursor.execute("SELECT count(*) FROM information_schema.triggers "
                       "WHERE event_object_schema = 'salesforce'")
        triggers = cursor.fetchone()[0]
        extra = None
        if "postgis" in engine:
            cursor.execute("SELECT ST_AsText(ST_MakePoint(1, 2))")
            extra = cursor.fetchone()[0]
    from app.salesforce.models import Account
    account = Account.objects.create(name="Created in a fresh test DB")
    from heroku_connect.models import TriggerLog
    print(json.dumps({"tables": tables, "triggers": triggers, "extra": extra,
                      "display_name": connection.display_name, "pk": account.pk,
                      "captured": TriggerLog.objects.count()}))
finally:
    connection.creation.destroy_test_db(sys.argv[3], verbosity=0)
"""


def _fresh_test_db(engine, name, development):
    params = connection.settings_dict
    url_params = {k: params[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _CREATE_TEST_DB, engine, json.dumps(url_params),
         name, json.dumps(development)],
        env=env, cwd=str(REPO), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "display_name", "extra", "development"),
    [
        ("heroku_connect.db.backends.postgresql", "PostgreSQL with Heroku Connect", None, False),
        (
            "heroku_connect.db.backends.postgis",
            "PostgreSQL with PostGIS and Heroku Connect",
            "POINT(1 2)",
            True,
        ),
    ],
)
def test_create_test_db__builds_the_heroku_connect_schema(engine, display_name, extra, development):
    """Creating a test database (both engines) builds the schema before migrations run: tables
    only by default, the development schema with HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA."""
    if "postgis" in engine:
        require_postgis(connection.settings_dict)
    name = f"{connection.settings_dict['NAME']}_{engine.rsplit('.', 1)[-1]}"
    result = _fresh_test_db(engine, name, development)
    assert result["display_name"] == display_name
    assert result["extra"] == extra
    tables = set(result["tables"])
    assert {"_trigger_log", "_trigger_log_archive", "account"} <= tables
    assert result["pk"] == 1
    if development:
        assert {"_hcmeta", "_sf_event_log"} <= tables
        assert result["triggers"] > 0
        assert result["captured"] == 1
    else:
        assert not {"_hcmeta", "_sf_event_log"} & tables
        assert (result["triggers"], result["captured"]) == (0, 0)
