"""``manage.py load_remote_schema`` with a fake ``heroku`` CLI and the real local pg_dump."""

from __future__ import annotations

import io

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from heroku_connect.management.commands.load_remote_schema import Command
from heroku_connect.test.simulator import dsn_from_settings_dict
from heroku_connect.test.utils import heroku_cli

READER = "apiclient-reader"
READER_PASSWORD = "p@ss:w/rd%1"
CLI_OUTPUT = """Connection information for default credential.
Connection URL:
   {url}
"""


def _dsn() -> str:
    return dsn_from_settings_dict(connection.settings_dict)


@pytest.fixture
def reader_role(django_db_blocker):
    """A hyphenated login role allowed to read the test database's salesforce schema."""
    with django_db_blocker.unblock(), psycopg.connect(_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{READER}"')
        admin.execute(f"CREATE ROLE \"{READER}\" LOGIN PASSWORD '{READER_PASSWORD}'")
        admin.execute(f'GRANT USAGE ON SCHEMA salesforce TO "{READER}"')
        admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA salesforce TO "{READER}"')
        try:
            yield READER
        finally:
            admin.execute(f'DROP OWNED BY "{READER}"')
            admin.execute(f'DROP ROLE "{READER}"')


def _url(user: str, password: str, scheme: str = "postgres") -> str:
    from urllib.parse import quote

    s = connection.settings_dict
    return (
        f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@"
        f"{quote(s['HOST'], safe='')}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.mark.django_db
def test_load_remote_schema__dumps_the_schema_with_a_hyphenated_encoded_user(reader_role):
    """postgresql:// URL, hyphenated user, %-encoded password: pg_dump prints the schema DDL."""
    stdout = io.StringIO()
    url = _url(reader_role, READER_PASSWORD, scheme="postgresql")
    with heroku_cli(CLI_OUTPUT.format(url=url)):
        call_command("load_remote_schema", "-a", "my-app", stdout=stdout)
    dump = stdout.getvalue()
    assert "CREATE TABLE salesforce.account" in dump
    assert "CREATE TABLE salesforce._trigger_log" in dump
    assert "OWNER TO" not in dump  # -O: no ownership
    assert "\nCOPY " not in dump  # -s: schema only, no data


@pytest.mark.django_db
def test_load_remote_schema__unknown_schema():
    """A schema that does not exist: 'Schema not found.'."""
    s = connection.settings_dict
    with heroku_cli(_url(s["USER"], s.get("PASSWORD") or "")), pytest.raises(CommandError) as e:
        call_command("load_remote_schema", "--schema", "no_such_schema", stdout=io.StringIO())
    assert str(e.value) == "Schema not found."


def test_load_remote_schema__bad_app_name():
    """The CLI failing (e.g. unknown app): 'Please provide the correct Heroku app name.'."""
    with (
        heroku_cli(stderr="Couldn't find that app.", exit_code=1),
        pytest.raises(CommandError) as caught,
    ):
        call_command("load_remote_schema", "-a", "nope", stdout=io.StringIO())
    assert str(caught.value) == "Please provide the correct Heroku app name."


def test_load_remote_schema__unparsable_output():
    """Output without a database URL: 'Could not parse DATABASE_URL.'."""
    with heroku_cli("mysql://user@host/db"), pytest.raises(CommandError) as caught:
        call_command("load_remote_schema", stdout=io.StringIO())
    assert str(caught.value) == "Could not parse DATABASE_URL."


def test_get_database_url__passes_the_app(tmp_path, monkeypatch):
    """get_database_url (a staticmethod) runs `heroku pg:credentials:url -a APP`."""
    script = tmp_path / "heroku"
    script.write_text('#!/usr/bin/env bash\necho "args: $*"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert Command.get_database_url("my-app") == "args: pg:credentials:url -a my-app\n"
    assert Command.get_database_url(None) == "args: pg:credentials:url\n"


def test_get_database_url__missing_cli_is_a_command_error(tmp_path, monkeypatch):
    """Without a heroku binary on PATH the error says so (no traceback)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="Heroku CLI"):
        Command.get_database_url("my-app")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://u1:pw@ec2-1.compute.amazonaws.com:5432/d8abc",
            ("u1", "pw", "ec2-1.compute.amazonaws.com", "5432", "d8abc"),
        ),
        (
            "postgresql://u1:pw@host:6543/db",
            ("u1", "pw", "host", "6543", "db"),
        ),
        (
            "Connection URL:\n   postgres://my-user:p%40ss%3Aw%2Frd@h.example:5432/my-db\n",
            ("my-user", "p@ss:w/rd", "h.example", "5432", "my-db"),
        ),
        (
            "postgres://u_2:pw@host/db?sslmode=require",
            ("u_2", "pw", "host", "5432", "db"),
        ),
    ],
)
def test_parse_credentials__schemes_encoding_and_hyphens(url, expected):
    """Both schemes, %-encoded credentials, hyphens; an instance method returning the dict."""
    keys = ("user", "passwd", "host", "port", "dbname")
    assert Command().parse_credentials(url) == dict(zip(keys, expected, strict=True))


@pytest.mark.parametrize(
    "url", ["", "postgres://u@host/", "postgres://u:p@host:notaport/db", "mysql://u@h/db"]
)
def test_parse_credentials__garbage(url):
    """Anything unparsable is 'Could not parse DATABASE_URL.'."""
    with pytest.raises(CommandError, match=r"^Could not parse DATABASE_URL\.$"):
        Command().parse_credentials(url)


def test_get_schema__is_a_staticmethod_with_keywords():
    """get_schema is called with keywords on the class (compatibility)."""
    assert isinstance(Command.__dict__["get_schema"], staticmethod)
    assert isinstance(Command.__dict__["get_database_url"], staticmethod)
    with pytest.raises(CommandError, match=r"^Schema not found\.$"):
        Command.get_schema(
            user="nobody", host="127.0.0.1", port="1", dbname="x", passwd="", schema_name="s"
        )
