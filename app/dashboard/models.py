"""Dashboard models: the permission holder and our own summary tables (never Connect's)."""

from __future__ import annotations

from django.conf import settings
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


class BulkActionJob(models.Model):
    """A retry or ignore of a large confirmed selection, run by Celery in batches.

    The selection (``kind`` and ``selection``, as confirmed) is walked in id order, live rows
    first, then archived ones, up to the highest ids at confirmation (``live_high`` /
    ``archive_high``). Each batch changes at most ``batch_size`` FAILED rows in one transaction
    that also advances the cursor and the counts, so a batch is applied completely or not at
    all, and exactly once. Every write of a worker run is fenced by ``attempt`` (the job row is
    locked for the batch): a run whose claim was taken over by the recovery stops.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    action = models.CharField(max_length=16, choices=[("retry", "Retry"), ("ignore", "Ignore")])
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    #: The confirmed selection: "ids" or "filter", and its parameters.
    kind = models.CharField(max_length=16)
    selection = models.JSONField()
    description = models.TextField()
    #: ``WriteAlgorithm`` name for retries (looked up or chosen when the job was requested).
    write_algorithm = models.CharField(max_length=32, blank=True)
    algorithm_chosen = models.BooleanField(default=False)
    confirmed_count = models.BigIntegerField()
    #: The confirmation's nonce: one confirmation starts at most one job (a double click).
    confirmation = models.CharField(max_length=64, unique=True)
    batch_size = models.PositiveIntegerField()
    live_high = models.BigIntegerField(default=0)
    archive_high = models.BigIntegerField(default=0)
    live_cursor = models.BigIntegerField(default=0)
    archive_cursor = models.BigIntegerField(default=0)
    live_done = models.BigIntegerField(default=0)
    archive_done = models.BigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    heartbeat_at = models.DateTimeField(null=True)
    #: Incremented by each worker run that claims the job (the fence of every write).
    attempt = models.PositiveIntegerField(default=0)
    cancel_requested_at = models.DateTimeField(null=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(state__in=("queued", "running")),
                name="dashboard_bulkjob_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} job #{self.pk}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def done(self) -> int:
        return self.live_done + self.archive_done

    @property
    def percent(self) -> int:
        """Share of the confirmed rows handled so far (100 once the job has ended)."""
        if not self.is_active or not self.confirmed_count:
            return 100
        return min(99, self.done * 100 // self.confirmed_count)
