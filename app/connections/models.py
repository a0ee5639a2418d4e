"""Our own copies of Heroku Connect state: snapshots with history, notifications, import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from heroku_connect import states

#: The library's health classes as model choices (values and labels come from the library).
HealthClass = models.TextChoices(
    "HealthClass", [(health.name, (health.value, health.label)) for health in states.HealthClass]
)


class RefreshRun(models.Model):
    """One run of the refresh task; failed runs carry the API problem for the banner."""

    started_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=True)
    error_kind = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    api_calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"refresh {self.started_at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else self.error_kind}"


class Connection(models.Model):
    """Latest known state of one connection (denormalised from the newest snapshot)."""

    connection_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    app_name = models.CharField(max_length=200, blank=True)
    schema_name = models.CharField(max_length=63, blank=True)
    state = models.CharField(max_length=40, blank=True)
    health_class = models.CharField(
        max_length=20, choices=HealthClass.choices, default=HealthClass.UNKNOWN
    )
    fetched_at = models.DateTimeField(null=True)
    #: When the last snapshot was stored (snapshots are written on change, or as a heartbeat).
    snapshot_at = models.DateTimeField(null=True)
    #: Set when a successful refresh no longer listed it (deleted or re-created in Heroku
    #: Connect); cleared if it is listed again. Its history and imports stay.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "connection_id"]

    def __str__(self) -> str:
        return self.name or self.connection_id


class ConnectionSnapshot(models.Model):
    """The connection's state at one refresh (the history behind the state timeline)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="snapshots")
    state = models.CharField(max_length=40)
    health_class = models.CharField(max_length=20, choices=HealthClass.choices)
    fetched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        indexes = [models.Index(fields=["connection", "fetched_at"], name="conn_snap_conn_time")]

    def __str__(self) -> str:
        return f"{self.state} at {self.fetched_at:%Y-%m-%d %H:%M:%S}"


class Mapping(models.Model):
    """Latest known state of one mapping."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="mappings")
    mapping_id = models.CharField(max_length=64, unique=True)
    object_name = models.CharField(max_length=200)
    state = models.CharField(max_length=40, blank=True)
    health_class = models.CharField(
        max_length=20, choices=HealthClass.choices, default=HealthClass.UNKNOWN
    )
    access = models.CharField(max_length=20, blank=True)
    count_db = models.BigIntegerField(null=True)
    count_sf = models.BigIntegerField(null=True)
    count_pending = models.BigIntegerField(null=True)
    count_errors = models.BigIntegerField(null=True)
    times = models.JSONField(default=dict)
    fetched_at = models.DateTimeField(null=True)
    #: When the last snapshot was stored (snapshots are written on change, or as a heartbeat).
    snapshot_at = models.DateTimeField(null=True)
    #: Set when the mapping disappeared from the API; its history is kept.
    removed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["object_name"]

    def __str__(self) -> str:
        return self.object_name


class MappingSnapshot(models.Model):
    """One mapping's state and counts at one refresh."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="snapshots")
    state = models.CharField(max_length=40)
    health_class = models.CharField(max_length=20, choices=HealthClass.choices)
    count_db = models.BigIntegerField(null=True)
    count_sf = models.BigIntegerField(null=True)
    count_pending = models.BigIntegerField(null=True)
    count_errors = models.BigIntegerField(null=True)
    times = models.JSONField(default=dict)
    fetched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        indexes = [models.Index(fields=["mapping", "fetched_at"], name="map_snap_map_time")]

    def __str__(self) -> str:
        return f"{self.state} at {self.fetched_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """A Heroku Connect notification (``GET /connections/{C}/notifications``)."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="notifications"
    )
    notification_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(null=True)
    #: The API lists unacknowledged notifications only; one that drops out of the list is
    #: acknowledged (set by the refresh).
    acknowledged = models.BooleanField(default=False)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "notification_id"], name="connections_notification_unique"
            )
        ]

    def __str__(self) -> str:
        return self.message[:80]


class DeployedMapping(models.Model):
    """The export document of a connection as last fetched (by the refresh task or on demand)."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="deployed_mapping"
    )
    document = models.JSONField()
    fetched_at = models.DateTimeField()
    #: Fields the org requires on create, per read-write object of the code's mapping
    #: (``GET /connections/{C}/schemas/{Object}``); only the on-demand fetch fills it.
    required_fields = models.JSONField(default=dict)
    required_fields_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"deployed mapping of {self.connection} at {self.fetched_at:%Y-%m-%d %H:%M:%S}"


class ImportJob(models.Model):
    """One mapping import, driven by the ``connections.run_import`` task (state in this row)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        UPLOADING = "uploading", "Uploading"
        WAITING = "waiting", "Waiting for Heroku Connect"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.UPLOADING, State.WAITING)
    FINISHED_STATES = (State.DONE, State.FAILED)

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="imports")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    reason = models.TextField(blank=True)
    document = models.JSONField()
    diff_summary = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    #: Written (under the run's claim) just before the import is POSTed; with ``uploaded_at``
    #: still empty it means a run died mid-upload, and the next run asks the API whether the
    #: upload arrived instead of sending it again.
    upload_started_at = models.DateTimeField(null=True)
    uploaded_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    heartbeat_at = models.DateTimeField(null=True)
    polls = models.PositiveIntegerField(default=0)
    #: Incremented by each worker run that claims the job; a run whose claim was taken over
    #: (after its heartbeat went stale) stops at its next write.
    attempt = models.PositiveIntegerField(default=0)
    last_connection_state = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(state__in=("queued", "uploading", "waiting")),
                name="connections_one_active_import_per_connection",
            )
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} of {self.connection_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES
