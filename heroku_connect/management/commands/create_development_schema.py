"""``manage.py create_development_schema``: Heroku Connect's schema for local development."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from heroku_connect.conf import settings
from heroku_connect.dev_schema import create_heroku_connect_schema
from heroku_connect.schema import quote_ident


class Command(BaseCommand):
    help = "Create Heroku Connect schema for local development."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            "-f",
            action="store_true",
            help="Drop the schema (and everything in it) first.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Database alias to create the schema in (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema_name = settings.HEROKU_CONNECT_SCHEMA
        using = options["database"]
        if options["force"]:
            with connections[using].cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema_name)} CASCADE")
        if not create_heroku_connect_schema(using=using):
            raise CommandError(f"Schema {schema_name} already exists.")
        self.stdout.write(f"Schema {schema_name} created.")
