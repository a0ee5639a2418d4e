"""``manage.py import_mappings``: upload the mapping configuration to a connection."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heroku_connect import api
from heroku_connect.api import HerokuConnectAPIError
from heroku_connect.conf import settings
from heroku_connect.mapping import get_mapping
from heroku_connect.states import ConnectionStates

#: Default of ``--timeout``: how long ``--wait`` waits for the import (seconds).
DEFAULT_TIMEOUT = 600


def _api_failure(message: str, error: Exception) -> CommandError:
    """``message`` for HTTP errors (the public package's text), with the cause otherwise."""
    if isinstance(error, requests.HTTPError) or not isinstance(error, HerokuConnectAPIError):
        return CommandError(message)
    return CommandError(f"{message.rstrip('.')}: {error}")


class Command(BaseCommand):
    help = "Import Heroku Connect mappings to connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app",
            "-a",
            dest="HEROKU_APP",
            type=str,
            help="Heroku app name (default: settings.HEROKU_CONNECT_APP_NAME).",
        )
        parser.add_argument(
            "--connection", "-c", dest="CONNECTION_ID", type=str, help="Heroku Connect ID."
        )
        parser.add_argument(
            "--wait",
            "-w",
            action="store_true",
            default=False,
            help="Wait until the import has finished.",
        )
        parser.add_argument(
            "--wait-interval",
            type=int,
            default=10,
            help="Seconds between two checks of the connection state (default 10).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"Give up waiting after this many seconds (default {DEFAULT_TIMEOUT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        app_name = options["HEROKU_APP"] or settings.HEROKU_CONNECT_APP_NAME or None
        connection_id = options["CONNECTION_ID"]
        wait_interval = options["wait_interval"]
        self._timeout = options["timeout"]
        if not (connection_id or app_name):
            raise CommandError(
                "You need to either specify the application name or the connection ID."
            )
        if not connection_id:
            connection_id = self._find_connection_id(app_name, wait_interval)

        mapping = get_mapping(app_name=app_name)
        self.stdout.write(self.style.NOTICE("Uploading mapping..."))
        try:
            api.import_mapping(connection_id, mapping)
        except requests.RequestException as error:
            raise _api_failure("Failed to upload the mapping", error) from error

        if options["wait"]:
            self.wait_for_import(connection_id, wait_interval)

    def _find_connection_id(self, app_name: str, wait_interval: float) -> str:
        self.stdout.write(self.style.NOTICE("Fetching connections."))
        connections = self.get_connections(app_name)
        if not connections:
            self.stdout.write(
                self.style.WARNING(
                    "No associated connections found for the current user with the app "
                    f"'{app_name}'."
                )
            )
            self.stdout.write(self.style.NOTICE("Linking the current user with Heroku Connect."))
            try:
                api.link_connection_to_account(app_name)
            except requests.RequestException as error:
                raise _api_failure("Authentication failed", error) from error
            time.sleep(wait_interval)
            self.stdout.write(self.style.NOTICE("Fetching connections."))
            connections = self.get_connections(app_name)
        if not connections:
            raise CommandError(
                f"No associated connections found for the current user with the app '{app_name}'."
            )
        if len(connections) > 1:
            raise CommandError(
                "More than one associated connections found for the current user with the app "
                f"'{app_name}'. Please specify the connection ID."
            )
        return connections[0]["id"]

    @staticmethod
    def get_connections(app_name: str) -> list[dict]:
        """The app's connections; API failures become ``CommandError``."""
        try:
            return api.get_connections(app_name)
        except requests.RequestException as error:
            raise _api_failure("Failed to load connections", error) from error

    def wait_for_import(
        self, connection_id: str, wait_interval: float, *, timeout: float | None = None
    ) -> None:
        """Poll the connection until it leaves IMPORT_CONFIGURATION (at least once).

        Gives up with a ``CommandError`` after ``timeout`` seconds (default: ``--timeout``).
        """
        if timeout is None:
            timeout = getattr(self, "_timeout", DEFAULT_TIMEOUT)
        deadline = time.monotonic() + timeout
        self.stdout.write(self.style.NOTICE("Waiting for import"), ending="")
        while True:
            self.stdout.write(".", ending="")
            self.stdout.flush()
            time.sleep(max(0.0, min(wait_interval, deadline - time.monotonic())))
            try:
                connection = api.get_connection(connection_id)
            except requests.RequestException as error:
                raise _api_failure("Failed to fetch connection information.", error) from error
            if connection.get("state") != ConnectionStates.IMPORT_CONFIGURATION:
                break
            if time.monotonic() >= deadline:
                self.stdout.write("")
                raise CommandError("Timed out waiting for the import to finish.")
        self.stdout.write(" Done!")
