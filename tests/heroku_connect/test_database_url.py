"""One URL parser for every reader of a database URL (heroku_connect.db.database_url).

The forms are those dj-database-url accepts; the live tests connect with each form through
every reader (Django settings, psycopg as the simulator and benchmarks use it, and
``load_remote_schema``'s pg_dump) against the suite's server and an embedded one.
"""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import dj_database_url
import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.utils import ConnectionHandler

from app.settings.environment import database_config
from heroku_connect.db.database_url import (
    DatabaseURLError,
    NotPostgresURLError,
    connection_params,
    libpq_conninfo,
    parse_database_url,
)
from heroku_connect.management.commands.load_remote_schema import Command
from heroku_connect.test.simulator import dsn_from_settings_dict
from heroku_connect.test.utils import heroku_cli

#: PostgreSQL URL forms dj-database-url accepts.
DJ_DATABASE_URL_FORMS = [
    "postgres://user:pass@db.example.com:5432/app",
    "postgresql://u@localhost/db",
    "pgsql://u:p@10.0.0.1:6543/db",
    "postgis://u:p@h/geo",
    "postgres://my-user:p%40ss%3Aw%2Frd%25@h.example:5432/my-db",
    "postgres://u%40corp:pw@h/d",
    "postgres://u@%2Fvar%2Frun%2Fpostgresql/db",
    "postgres://u@%2fvar%2frun%2fpostgresql:5433/db",
    "postgresql://u@/db?host=/var/run/postgresql",
    "postgresql:///db",
    "postgres://h/db",
    "postgres://u@DB.Example.COM/db",
    "postgres://u@[::1]:5432/db",
    "postgres://u:p@h/db?sslmode=require&connect_timeout=10",
    "postgres://u:p@h/db?options=-c%20search_path%3Dsalesforce,public",
    "postgres://u:p@h/db?currentSchema=salesforce",
    "postgres://u:p@h/d%20b",
    "postgres://u:p@h/db?application_name=a&application_name=b",
]

#: dj-database-url's keys that are not read from the URL.
_NOT_FROM_THE_URL = {"ENGINE", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"}


@pytest.mark.parametrize("url", DJ_DATABASE_URL_FORMS)
def test_parse_database_url__reads_every_form_as_dj_database_url_does(url):
    """Name, credentials, host, port and options equal dj-database-url's reading."""
    reference = {k: v for k, v in dj_database_url.parse(url).items() if k not in _NOT_FROM_THE_URL}
    assert parse_database_url(url) == reference


def test_parse_database_url__a_socket_directory_keeps_its_case():
    """Host names are lower-cased, socket directories (case-sensitive paths) are not."""
    assert parse_database_url("postgres://u@%2FUsers%2FAnn%2Frun/db")["HOST"] == "/Users/Ann/run"
    assert parse_database_url("postgres://u@DB.Example.com/db")["HOST"] == "db.example.com"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("mysql://u:secret@h/d", NotPostgresURLError),
        ("not a url", NotPostgresURLError),
        ("postgres://u:secret@h:notaport/d", DatabaseURLError),
        ("postgres://u:secret@h:99999/d", DatabaseURLError),
    ],
)
def test_parse_database_url__refuses_other_schemes_and_bad_ports_without_the_password(url, error):
    with pytest.raises(error) as caught:
        parse_database_url(url)
    assert "secret" not in str(caught.value)


def test_connection_params__as_djangos_backend_builds_them():
    """OPTIONS first, then the entry's own fields; Django-only options never reach libpq."""
    config = parse_database_url(
        "postgres://u:p@/db?host=/sock&port=6000&sslcompression=true&isolation_level=2"
    )
    assert connection_params(config) == {
        "dbname": "db",
        "host": "/sock",
        "port": "6000",
        "sslcompression": "1",
        "user": "u",
        "password": "p",
    }
    with_host = parse_database_url("postgres://u@h:5433/db?host=/sock")
    assert connection_params(with_host)["host"] == "h"
    assert connection_params(with_host)["port"] == "5433"


def test_libpq_conninfo__leaves_connection_strings_alone():
    assert libpq_conninfo("dbname=x host=/tmp") == "dbname=x host=/tmp"
    assert psycopg.conninfo.conninfo_to_dict(libpq_conninfo("postgis://u@%2Fs%2FX/db")) == {
        "dbname": "db",
        "user": "u",
        "host": "/s/X",
    }


# --- live: every form, every reader, two servers ---------------------------------------------

READER = "hc reader@x:y/z"
READER_PASSWORD = "p@ss:w/rd%1 "


@dataclass
class Server:
    name: str
    socket_dir: str
    port: str
    admin: dict[str, str]  # libpq keywords of a superuser on the maintenance database
    tcp_host: str | None
    dbname: str = ""


def _suite_server(django_db_blocker) -> Server:
    settings = {**connection.settings_dict, "NAME": "postgres"}
    admin = connection_params(settings)
    with django_db_blocker.unblock(), psycopg.connect(**admin) as conn:
        directories = conn.execute("SHOW unix_socket_directories").fetchone()[0]
        port = conn.execute("SHOW port").fetchone()[0]
    host = settings.get("HOST") or ""
    return Server(
        "suite",
        socket_dir=directories.split(",")[0].strip(),
        port=str(port),
        admin=admin,
        tcp_host=host if host and not host.startswith("/") else None,
    )


def _embedded_server(embedded) -> Server:
    admin = connection_params(parse_database_url(embedded.url))
    return Server("embedded", socket_dir=admin["host"], port="5432", admin=admin, tcp_host=None)


@pytest.fixture(params=["suite", "embedded"])
def server(request, django_db_blocker, monkeypatch) -> Server:
    """A scratch database with schema ``url_probe`` and the role READER on either server."""
    if request.param == "suite":
        server = _suite_server(django_db_blocker)
    else:
        embedded = request.getfixturevalue("embedded_postgres")
        server = _embedded_server(embedded)
        # pg_dump of the embedded server's major version (newer pg_dump reads older servers).
        monkeypatch.setenv("PATH", f"{embedded.bin_dir}{os.pathsep}{os.environ['PATH']}")
    server.dbname = f"url_forms_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock(), psycopg.connect(**server.admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{server.dbname}"')
        admin.execute(f'DROP ROLE IF EXISTS "{READER}"')
        admin.execute(f"CREATE ROLE \"{READER}\" LOGIN SUPERUSER PASSWORD '{READER_PASSWORD}'")
        with psycopg.connect(**{**server.admin, "dbname": server.dbname}, autocommit=True) as db:
            db.execute("CREATE SCHEMA url_probe")
            db.execute("CREATE TABLE url_probe.seen (id int)")
        try:
            yield server
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{server.dbname}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{READER}"')


def _forms(server: Server) -> dict[str, str]:
    sock = quote(server.socket_dir, safe="")
    user, password = quote(READER, safe=""), quote(READER_PASSWORD, safe="")
    forms = {
        "socket directory as host": f"postgres://{user}@{sock}:{server.port}/{server.dbname}",
        "?host= query": (
            f"postgresql://{user}@/{server.dbname}?host={quote(server.socket_dir)}"
            f"&port={server.port}"
        ),
        "no host, no user (PGHOST, PGUSER)": f"pgsql:///{server.dbname}",
        "postgis scheme, encoded user and password": (
            f"postgis://{user}:{password}@{sock}:{server.port}/{server.dbname}"
        ),
    }
    if server.tcp_host:
        forms["host and port"] = (
            f"postgres://{user}:{password}@{server.tcp_host}:{server.port}/{server.dbname}"
        )
    return forms


def test_every_form_reaches_the_server_through_every_reader(server, django_db_blocker, monkeypatch):
    """Django's settings, psycopg (simulator, benchmarks) and load_remote_schema (pg_dump) all
    connect with every form, as the role the URL names."""
    monkeypatch.setenv("PGHOST", server.socket_dir)
    monkeypatch.setenv("PGPORT", server.port)
    monkeypatch.setenv("PGUSER", READER)
    for form, url in _forms(server).items():
        handler = ConnectionHandler({"default": database_config(url, on_heroku=False)})
        with django_db_blocker.unblock():
            try:
                with handler["default"].cursor() as cursor:
                    cursor.execute("SELECT current_user, current_database()")
                    assert cursor.fetchone() == (READER, server.dbname), form
            finally:
                handler.close_all()
            with psycopg.connect(libpq_conninfo(url)) as conn:
                row = conn.execute("SELECT current_user, current_database()").fetchone()
                assert row == (READER, server.dbname), form
        stdout = io.StringIO()
        with heroku_cli(f"Connection URL:\n   {url}\n"):
            call_command("load_remote_schema", "--schema", "url_probe", stdout=stdout)
        assert "CREATE TABLE url_probe.seen" in stdout.getvalue(), form


def test_parse_credentials__socket_directory_forms_and_defaults():
    """load_remote_schema's credentials of the socket and no-host forms (libpq defaults)."""
    parse = Command().parse_credentials
    assert parse("postgres://u@%2FRun%2FPg:5433/db") == {
        "user": "u", "passwd": "", "host": "/Run/Pg", "port": "5433", "dbname": "db",
    }  # fmt: skip
    assert parse("postgis://u@/db?host=/run/pg") == {
        "user": "u", "passwd": "", "host": "/run/pg", "port": "5432", "dbname": "db",
    }  # fmt: skip
    assert parse("pgsql:///db") == {
        "user": "", "passwd": "", "host": "", "port": "5432", "dbname": "db",
    }  # fmt: skip


def test_dsn_from_settings_dict__uses_the_options_host():
    """The test helper builds libpq keywords with the same rule (a ?host= URL works)."""
    config = {**parse_database_url("postgres://u@/db?host=/sock"), "PORT": ""}
    assert psycopg.conninfo.conninfo_to_dict(dsn_from_settings_dict(config)) == {
        "dbname": "db",
        "host": "/sock",
        "user": "u",
    }
