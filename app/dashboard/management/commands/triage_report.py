"""Print the dashboard's overview and error groups (the same read models as the pages)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from app.dashboard import api, charts, selectors, stats


class Command(BaseCommand):
    help = "Print failed/pending/new counts and the error groups; --refresh rebuilds the summaries."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--refresh", action="store_true", help="rebuild the error-group summaries first"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print JSON (as /api/*.json)"
        )
        parser.add_argument("--table", default="", help="only the groups of this table")
        parser.add_argument("--limit", type=int, default=20, help="groups to print (20)")

    def handle(
        self, *args: Any, refresh: bool, as_json: bool, table: str, limit: int, **options: Any
    ) -> None:
        if not selectors.valid_group_filters(table=table, code=""):
            raise CommandError(f"Not a table name: {table!r}.")
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if refresh and stats.refresh_stats() is None:
            raise CommandError("Another refresh is running; try again in a moment.")
        overview = selectors.overview(range_name=charts.DEFAULT_RANGE)
        groups = selectors.error_groups(table=table)
        if as_json:
            self._print_json(overview, groups, limit)
        else:
            self._print_text(overview, groups, limit)

    def _print_json(self, overview: selectors.Overview, groups: selectors.ErrorGroups, limit: int):
        payload = {
            "totals": {
                "failed": overview.total.failed,
                "archived_failed": overview.total.archived_failed,
                "pending": overview.total.pending,
                "new": overview.total.new,
            },
            "oldest_waiting_at": api.iso(overview.oldest_waiting_at),
            "stats_refreshed_at": api.iso(groups.stats_refreshed_at),
            "groups": [api.group_payload(group) for group in groups.groups[:limit]],
        }
        self.stdout.write(json.dumps(payload, indent=2))

    def _print_text(self, overview: selectors.Overview, groups: selectors.ErrorGroups, limit: int):
        total = overview.total
        self.stdout.write(
            f"failed {total.failed} live + {total.archived_failed} archived, "
            f"pending {total.pending}, new {total.new}"
        )
        age = overview.oldest_waiting_age
        self.stdout.write(f"oldest waiting write: {age if age is not None else 'none'}")
        for counts in overview.tables:
            self.stdout.write(
                f"  {counts.table_name}: failed {counts.failed} + {counts.archived_failed}, "
                f"pending {counts.pending}, new {counts.new}"
            )
        when = groups.stats_refreshed_at
        if when:
            self.stdout.write(f"error groups (as of {when:%Y-%m-%d %H:%M:%S} UTC):")
        else:
            self.stdout.write("error groups: not computed yet (use --refresh)")
        for group in groups.groups[:limit]:
            self.stdout.write(
                f"  {group.total:>9} {group.table_name} {group.code}: {group.normalised_message}"
            )
