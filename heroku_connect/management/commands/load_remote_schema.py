"""``manage.py load_remote_schema``: print the Heroku Connect schema of a Heroku database.

The database URL comes from ``heroku pg:credentials:url`` (the Heroku CLI); ``pg_dump -sO``
then dumps the schema only, without owners. The password travels in ``PGPASSWORD``, never on
the command line.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heroku_connect.db.database_url import (
    POSTGRES_SCHEMES,
    DatabaseURLError,
    connection_params,
    parse_database_url,
)

#: A PostgreSQL URL (any scheme the URL parser accepts) anywhere in the CLI's output.
_URL_PATTERN = re.compile(rf"(?:{'|'.join(sorted(POSTGRES_SCHEMES))})://\S+")


class Command(BaseCommand):
    help = "Load schema from remote Heroku PostgreSQL database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app", "-a", dest="HEROKU_APP", type=str, help="Heroku app name.")
        parser.add_argument(
            "--schema",
            "-s",
            dest="SCHEMA_NAME",
            type=str,
            default="salesforce",
            help="Name of the Heroku Connect schema (default salesforce).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = self.get_database_url(options["HEROKU_APP"])
        credentials = self.parse_credentials(url)
        schema = self.get_schema(**credentials, schema_name=options["SCHEMA_NAME"])
        self.stdout.write(schema)

    @staticmethod
    def get_database_url(heroku_app: str | None) -> str:
        """Run ``heroku pg:credentials:url [-a APP]`` and return its output."""
        command = ["heroku", "pg:credentials:url"]
        if heroku_app:
            command += ["-a", heroku_app]
        try:
            output = subprocess.check_output(command)
        except FileNotFoundError as error:
            raise CommandError(
                "The Heroku CLI ('heroku') was not found; install it and log in."
            ) from error
        except subprocess.SubprocessError as error:
            raise CommandError("Please provide the correct Heroku app name.") from error
        return output.decode()

    def parse_credentials(self, url: str) -> dict[str, str]:
        """``user``, ``passwd``, ``host``, ``port`` and ``dbname`` of the first database URL.

        Every form of :func:`heroku_connect.db.database_url.parse_database_url` is accepted
        (schemes, percent-encoded credentials, socket directories as host or ``?host=``, no
        host, no user); missing parts are empty (libpq's defaults) and the port defaults to
        5432. Only the database name is required.
        """
        match = _URL_PATTERN.search(url)
        if match is None:
            raise CommandError("Could not parse DATABASE_URL.")
        try:
            params = connection_params(parse_database_url(match.group(0).strip("\"'")))
        except DatabaseURLError as error:
            raise CommandError("Could not parse DATABASE_URL.") from error
        if not params.get("dbname"):
            raise CommandError("Could not parse DATABASE_URL.")
        return {
            "user": params.get("user", ""),
            "passwd": params.get("password", ""),
            "host": params.get("host", ""),
            "port": params.get("port", "5432"),
            "dbname": params["dbname"],
        }

    @staticmethod
    def get_schema(
        user: str, host: str, port: str, dbname: str, passwd: str, schema_name: str
    ) -> str:
        """``pg_dump -sO -n <schema>`` of the database; the password goes in ``PGPASSWORD``.

        An empty ``user`` or ``host`` is left to libpq's defaults (``PGUSER``, ``PGHOST``).
        """
        command = ["pg_dump", "-sO", "-n", schema_name]
        if user:
            command += ["-U", user]
        if host:
            command += ["-h", host]
        command += ["-p", str(port), "-d", dbname]
        env = {**os.environ, "PGPASSWORD": passwd}
        try:
            output = subprocess.check_output(command, env=env)
        except FileNotFoundError as error:
            raise CommandError("pg_dump was not found; install the PostgreSQL client.") from error
        except subprocess.SubprocessError as error:
            raise CommandError("Schema not found.") from error
        return output.decode()
