"""``manage.py seed_mapping_drift``: deploy a deliberately drifted mapping to a LOCAL simulator.

For the demo: the code's mapping minus its last object, with one field dropped and a shorter
polling interval on another, so that the mapping diff and the import have something to show.
Refuses any endpoint that is not on this machine (never against a real Heroku Connect).
"""

from __future__ import annotations

import copy
import time
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.connections import services
from app.connections.errors import describe_api_error, is_api_error
from app.connections.states import ConnectionState

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def drifted(code: dict[str, Any]) -> dict[str, Any]:
    """The code's mapping with three differences (an object, a field, the polling interval)."""
    document = copy.deepcopy(code)
    mappings = sorted(document["mappings"], key=lambda m: m["object_name"])
    kept = mappings[:-1] if len(mappings) > 1 else mappings
    for entry in kept:
        config = entry["config"]
        optional = sorted(
            f
            for f in config.get("fields", {})
            if f not in ("Id", "IsDeleted", "SystemModstamp", config.get("upsert_field"))
            and f not in config.get("indexes", {})
        )
        if optional:
            del config["fields"][optional[-1]]
            config["sf_polling_seconds"] = 300
            break
    document["mappings"] = kept
    return document


class Command(BaseCommand):
    help = "Deploy a drifted copy of the code's mapping to a local simulator (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait (60).")

    def handle(self, *args: Any, **options: Any) -> None:
        from heroku_connect.mapping import get_mapping

        with services.make_client() as client:
            host = urlsplit(client.endpoint).hostname or ""
            if host not in LOCAL_HOSTS:
                raise CommandError(
                    f"Refusing to deploy a drifted mapping to {host or 'an unset endpoint'}: "
                    "this command is for a local simulator only."
                )
            cid = self._deploy(client, drifted(get_mapping()), options["timeout"])
        self.stdout.write(f"Deployed a drifted mapping to connection {cid}.")

    def _deploy(self, client: Any, document: dict[str, Any], timeout: float) -> str:
        try:
            connections = client.list_connections(services.configured_app_name())
            if len(connections) != 1:
                raise CommandError(f"Expected one connection, found {len(connections)}.")
            cid = str(connections[0]["id"])
            client.import_mapping(cid, document)
            deadline = time.monotonic() + timeout
            while client.get_connection(cid).get("state") == ConnectionState.IMPORT_CONFIGURATION:
                if time.monotonic() > deadline:
                    raise CommandError("The simulator is still importing; giving up.")
                time.sleep(0.5)
        except CommandError:
            raise
        except Exception as exc:
            if not is_api_error(exc):
                raise
            raise CommandError(describe_api_error(exc)) from exc
        return cid
