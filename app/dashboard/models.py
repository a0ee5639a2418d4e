"""Dashboard models: the permission holder and our own summary tables (never Connect's)."""

from __future__ import annotations

from django.db import models


class DashboardAccess(models.Model):
    """Holds the dashboard's custom permissions; it has no table and no rows.

    Groups created by a migration: "Viewers" (view), "Operators" (view, retry, ignore) and
    "Administrators" (all four).
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (
            ("view_dashboard", "Can view the operator dashboard"),
            ("retry_writes", "Can retry failed trigger-log writes"),
            ("ignore_writes", "Can ignore failed trigger-log writes"),
            ("manage_mappings", "Can manage Heroku Connect mappings and connections"),
        )

    def __str__(self) -> str:
        return "dashboard access"


class ErrorGroupStat(models.Model):
    """One error group (table, status code, normalised message) in the last statistics run.

    Our own summary of the FAILED rows of both trigger-log tables, rebuilt by
    ``app.dashboard.stats.refresh_stats`` (Celery beat), so that the pages never aggregate the
    million-row archive themselves.
    """

    key = models.TextField(unique=True)
    table_name = models.CharField(max_length=128)
    code = models.CharField(max_length=64)
    normalised_message = models.TextField()
    live_count = models.PositiveIntegerField(default=0)
    archive_count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0, db_index=True)
    first_seen = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    sample_ids = models.JSONField(default=list)  # ["live:12", "archive:7", ...]

    class Meta:
        ordering = ("-total", "table_name", "code")

    def __str__(self) -> str:
        return f"{self.code} on {self.table_name} ({self.total})"

    @property
    def samples(self) -> list[tuple[str, int]]:
        """The sample rows as ``(source, id)`` pairs (links to the detail page)."""
        pairs = []
        for token in self.sample_ids:
            source, _sep, pk = str(token).partition(":")
            if source in ("live", "archive") and pk.isdigit():
                pairs.append((source, int(pk)))
        return pairs

    @property
    def hint(self) -> str:
        from app.dashboard.errors import REMEDIATION_HINTS

        return REMEDIATION_HINTS.get(self.code, "")


class FailureRateBucket(models.Model):
    """Writes processed and failed per hour of capture (both trigger-log tables)."""

    hour = models.DateTimeField(unique=True)
    processed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("hour",)

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00}: {self.failed}/{self.processed}"


class StatsRun(models.Model):
    """One rebuild of the summaries: when, how long, how much."""

    finished_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField()
    failed_rows = models.PositiveIntegerField()
    groups = models.PositiveIntegerField()

    class Meta:
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"statistics of {self.finished_at:%Y-%m-%d %H:%M:%S}"
