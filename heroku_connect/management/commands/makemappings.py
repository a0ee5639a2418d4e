"""``manage.py makemappings``: write the Heroku Connect mapping configuration as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heroku_connect.mapping import get_mapping


def _sorted_mapping(mapping: dict[str, Any]) -> dict[str, Any]:
    return {**mapping, "mappings": sorted(mapping["mappings"], key=lambda m: m["object_name"])}


class Command(BaseCommand):
    help = "Create Heroku Connect mapping configuration JSON for all connected models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", dest="output", metavar="file_name", help="Write to this file (default stdout)."
        )
        parser.add_argument(
            "--indent",
            type=int,
            default=None,
            metavar="N",
            help="Pretty-print the JSON with N spaces of indentation.",
        )
        parser.add_argument(
            "--sort",
            action="store_true",
            help="Sort mappings by object name and keys alphabetically (stable diffs).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = get_mapping()
        if options["sort"]:
            mapping = _sorted_mapping(mapping)
        dump_options = {"indent": options["indent"], "sort_keys": options["sort"]}
        if options["output"]:
            with open(options["output"], "w+") as target:
                json.dump(mapping, target, **dump_options)
        else:
            # Never close self.stdout: it belongs to the caller.
            self.stdout.write(json.dumps(mapping, **dump_options), ending="")
            self.stdout.flush()
