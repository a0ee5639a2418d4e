"""Reads: one read model per screen, from our own tables only (pages never wait on the API).

Every selector runs a fixed number of queries, whatever the number of connections, mappings or
snapshots (prefetches and window functions instead of per-row queries).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Lag
from django.utils import timezone

from .diff import MappingDiff, ValidationWarning, diff_mappings, validate_mapping
from .models import (
    Connection,
    ConnectionSnapshot,
    DeployedMapping,
    ImportJob,
    Mapping,
    MappingSnapshot,
    Notification,
    RefreshRun,
)
from .services import stale_after

#: How many state changes a timeline shows (per page, newest first).
TIMELINE_LIMIT = 200


@dataclass
class Freshness:
    """How fresh the stored status is, and the last API problem if the last refresh failed."""

    now: datetime.datetime
    last_run: RefreshRun | None
    last_success_at: datetime.datetime | None
    is_stale: bool

    @property
    def failed(self) -> bool:
        return self.last_run is not None and not self.last_run.ok


def freshness(now: datetime.datetime | None = None) -> Freshness:
    """Two queries: the newest run and the newest successful run."""
    now = now or timezone.now()
    last_run = RefreshRun.objects.order_by("-started_at", "-id").first()
    last_ok = (
        last_run
        if last_run is not None and last_run.ok
        else RefreshRun.objects.filter(ok=True).order_by("-started_at", "-id").first()
    )
    last_success_at = last_ok.started_at if last_ok else None
    is_stale = (
        last_success_at is None
        or now - last_success_at > stale_after()
        or (last_run is not None and not last_run.ok)
    )
    return Freshness(now, last_run, last_success_at, is_stale)


def _connections() -> QuerySet[Connection]:
    current = Connection.objects.filter(removed_at__isnull=True)
    return current.order_by("name", "connection_id").prefetch_related(
        Prefetch(
            "mappings",
            queryset=Mapping.objects.filter(removed_at__isnull=True).order_by("object_name"),
            to_attr="current_mappings",
        ),
        Prefetch(
            "notifications",
            queryset=Notification.objects.filter(acknowledged=False).order_by("-created_at", "-id"),
            to_attr="open_notifications",
        ),
        Prefetch(
            "imports",
            queryset=ImportJob.objects.filter(state__in=ImportJob.ACTIVE_STATES),
            to_attr="active_imports",
        ),
    )


@dataclass
class StatusPage:
    freshness: Freshness
    connections: list[Connection]


def status_page() -> StatusPage:
    """The status page: every connection with its mappings, open notifications, active import."""
    return StatusPage(freshness=freshness(), connections=list(_connections()))


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_as_dict(page: StatusPage) -> dict[str, Any]:
    """The status page's read model as JSON-ready data (for monitors and scripts)."""
    f = page.freshness
    return {
        "updated_at": _iso(f.last_success_at),
        "stale": f.is_stale,
        "last_refresh": (
            {
                "at": _iso(f.last_run.started_at),
                "ok": f.last_run.ok,
                "error_kind": f.last_run.error_kind,
                "error": f.last_run.error_message,
            }
            if f.last_run is not None
            else None
        ),
        "connections": [
            {
                "id": c.connection_id,
                "name": c.name,
                "state": c.state,
                "health": c.health_class,
                "fetched_at": _iso(c.fetched_at),
                "active_import": c.active_imports[0].pk if c.active_imports else None,
                "notifications": [
                    {"id": n.notification_id, "event_type": n.event_type, "message": n.message}
                    for n in c.open_notifications
                ],
                "mappings": [
                    {
                        "object_name": m.object_name,
                        "state": m.state,
                        "health": m.health_class,
                        "counts": {
                            "db": m.count_db,
                            "sf": m.count_sf,
                            "pending": m.count_pending,
                            "errors": m.count_errors,
                        },
                        "times": m.times,
                    }
                    for m in c.current_mappings
                ],
            }
            for c in page.connections
        ],
    }


@dataclass
class Transition:
    """The state ``state`` was first seen at ``at`` (after ``previous``)."""

    at: datetime.datetime
    state: str
    previous: str | None
    health_class: str
    subject: str = ""


def _transitions(qs: QuerySet[Any], partition: str, subject: str | None) -> list[Transition]:
    rows = (
        qs.annotate(
            previous=Window(
                Lag("state"), partition_by=[F(partition)], order_by=F("fetched_at").asc()
            )
        )
        .filter(Q(previous__isnull=True) | ~Q(previous=F("state")))
        .order_by("-fetched_at", "-id")
    )
    if subject:
        rows = rows.annotate(subject=F(subject))
    return [
        Transition(
            at=r.fetched_at,
            state=r.state,
            previous=r.previous,
            health_class=r.health_class,
            subject=getattr(r, "subject", "") or "",
        )
        for r in rows[:TIMELINE_LIMIT]
    ]


@dataclass
class ConnectionPage:
    freshness: Freshness
    connection: Connection
    timeline: list[Transition]
    mapping_timeline: list[Transition]
    mappings: list[Mapping] = field(default_factory=list)
    imports: list[ImportJob] = field(default_factory=list)


def connection_page(connection: Connection) -> ConnectionPage:
    """One connection: its state timeline and its mappings' state timelines (one query each)."""
    timeline = _transitions(
        ConnectionSnapshot.objects.filter(connection=connection), "connection_id", None
    )
    mapping_timeline = _transitions(
        MappingSnapshot.objects.filter(mapping__connection=connection),
        "mapping_id",
        "mapping__object_name",
    )
    return ConnectionPage(
        freshness=freshness(),
        connection=connection,
        timeline=timeline,
        mapping_timeline=mapping_timeline,
        mappings=list(connection.mappings.order_by("removed_at", "object_name")),
        imports=list(connection.imports.select_related("requested_by")[:20]),
    )


@dataclass
class DiffPage:
    connections: list[Connection]
    connection: Connection | None
    deployed: DeployedMapping | None
    code: dict[str, Any]
    diff: MappingDiff | None
    warnings: list[ValidationWarning]
    active_import: ImportJob | None
    freshness: Freshness


def diff_page(connection_id: str | None, code: dict[str, Any]) -> DiffPage:
    """Code vs the stored deployed mapping of one connection (the only/first one by default).

    Raises ``Connection.DoesNotExist`` for an unknown ``connection_id``.
    """
    connections = list(
        Connection.objects.filter(removed_at__isnull=True).order_by("name", "connection_id")
    )
    if connection_id:
        # A removed connection stays reachable by its id (links from its history and imports).
        conn = next((c for c in connections if c.connection_id == connection_id), None)
        if conn is None:
            conn = Connection.objects.get(connection_id=connection_id)
    else:
        conn = connections[0] if connections else None
    deployed = DeployedMapping.objects.filter(connection=conn).first() if conn is not None else None
    required = deployed.required_fields if deployed and deployed.required_fields_at else None
    return DiffPage(
        connections=connections,
        connection=conn,
        deployed=deployed,
        code=code,
        diff=diff_mappings(code, deployed.document) if deployed else None,
        warnings=validate_mapping(code, required.get if required is not None else None),
        active_import=(
            ImportJob.objects.filter(connection=conn, state__in=ImportJob.ACTIVE_STATES).first()
            if conn is not None
            else None
        ),
        freshness=freshness(),
    )
