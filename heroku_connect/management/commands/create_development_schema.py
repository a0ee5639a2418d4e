"""``manage.py create_development_schema``: Heroku Connect's schema for local development."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

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
            choices=tuple(connections),
            help="Database alias to create the schema in (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema_name = settings.HEROKU_CONNECT_SCHEMA
        using = options["database"]
        # One transaction: a failed re-creation after --force leaves the old schema in place.
        with transaction.atomic(using=using):
            if options["force"]:
                with connections[using].cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema_name)} CASCADE")
            created = create_heroku_connect_schema(using=using, development=True)
        if not created:
            raise CommandError(f"Schema {schema_name} already exists.")
        self.stdout.write(f"Schema {schema_name} created.")
