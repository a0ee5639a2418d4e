"""``manage.py mapping_diff``: the code's mapping against the deployed one, for CI/CD gates.

Exit status: 0 when they match, 1 when they differ, 2 when the API fails.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.connections import services
from app.connections.diff import diff_mappings, format_diff, validate_mapping
from app.connections.errors import describe_api_error, is_api_error


class Command(BaseCommand):
    help = (
        "Print the semantic diff between the mapping generated from the models and the one "
        "deployed in Heroku Connect. Exits 0 when equal, 1 when they differ, 2 on API failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--connection", help="Connection id (default: the only connection of the app)."
        )
        parser.add_argument("--json", action="store_true", help="Print the diff as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        from heroku_connect.mapping import get_mapping

        code = get_mapping()
        try:
            with services.make_client() as client:
                connection_id = options["connection"] or self._only_connection(client)
                deployed = client.export_mapping(connection_id)
                required = services.required_fields_for(
                    client=client, connection_id=connection_id, code=code
                )
        except CommandError:
            raise
        except Exception as exc:
            if not is_api_error(exc):
                raise
            raise CommandError(describe_api_error(exc), returncode=2) from exc
        warnings = validate_mapping(code, required.get)
        diff = diff_mappings(code, deployed)
        if options["json"]:
            payload = {
                "connection": connection_id,
                **diff.as_dict(),
                "warnings": [w.__dict__ for w in warnings],
            }
            self.stdout.write(json.dumps(payload, indent=2, sort_keys=True))
        else:
            for warning in warnings:
                self.stderr.write(f"warning: {warning.object_name}: {warning.message}")
            self.stdout.write(format_diff(diff), ending="")
        if diff.has_changes:
            raise SystemExit(1)

    def _only_connection(self, client: Any) -> str:
        app_name = services.configured_app_name()
        items = client.list_connections(app_name)
        if len(items) != 1:
            raise CommandError(
                f"Found {len(items)} connections for app {app_name!r}; pass --connection ID.",
                returncode=2,
            )
        return str(items[0]["id"])
