"""Writes: the status refresh, deployed-mapping fetches, imports, actions.

API calls are never made inside a database transaction: every function calls the API first and
then stores what it got in a short transaction. The client is passed in (``client``), built by
:func:`make_client` in production code; it offers the methods of contract A
(``heroku_connect.api.HerokuConnectClient``).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from app.audit.services import record_action
from heroku_connect.states import ConnectionState, connection_health, mapping_health

from .diff import diff_mappings, required_fields_from_describe
from .errors import NotConfigured, api_error_kind, describe_api_error, is_api_error
from .models import (
    Connection,
    ConnectionSnapshot,
    DeployedMapping,
    HealthClass,
    ImportJob,
    Mapping,
    MappingSnapshot,
    Notification,
    RefreshRun,
)

logger = logging.getLogger(__name__)

#: How long snapshots are kept (the timeline's reach).
SNAPSHOT_RETENTION = datetime.timedelta(days=7)
#: Without a change, one snapshot per this interval (so the history shows the data was seen).
SNAPSHOT_EVERY = datetime.timedelta(minutes=15)


def tunable(name: str, default: Any) -> Any:
    """A ``CONNECTIONS_<NAME>`` setting, read at call time (so tests can override it)."""
    return getattr(settings, f"CONNECTIONS_{name}", default)


def import_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=tunable("IMPORT_TIMEOUT_SECONDS", 15 * 60))


def import_stale_after() -> datetime.timedelta:
    """A running job whose heartbeat is older than this was abandoned by its worker."""
    return datetime.timedelta(seconds=tunable("IMPORT_STALE_SECONDS", 120))


def stale_after() -> datetime.timedelta:
    """Status data older than this is shown as stale (three missed one-minute refreshes)."""
    return datetime.timedelta(seconds=tunable("STALE_SECONDS", 180))


def poll_delay(polls: int) -> float:
    """Bounded exponential backoff before the (n+1)-th poll of an import (0-based n)."""
    first = tunable("IMPORT_POLL_FIRST", 1.0)
    cap = tunable("IMPORT_POLL_MAX", 10.0)
    return min(first * 2.0**polls, cap)


def web_api_timeout() -> float:
    """API timeout for calls made while a browser waits (fetch now, pause, reload, ...).

    The client's default (30 s) equals the Heroku router's request limit, so a hanging API would
    end in the router's error page (H12) instead of our banner; tasks keep the default.
    """
    return float(tunable("WEB_API_TIMEOUT_SECONDS", 10))


def fetch_budget() -> float:
    """Seconds that all the API calls of one "Fetch now" may take together.

    The export plus one describe per read-write object, each with the web timeout, could add up
    past the Heroku router's 30 s limit (H12); one budget well below it bounds them all.
    """
    return float(tunable("FETCH_BUDGET_SECONDS", 20))


def make_client(*, timeout: float | None = None, budget: float | None = None) -> Any:
    """The contract-A client with the endpoint and token from the settings (read now).

    ``budget`` (seconds from now) bounds every call of the client, retries included.
    """
    from heroku_connect.api import HerokuConnectClient

    deadline = time.monotonic() + budget if budget is not None else None
    return HerokuConnectClient(timeout=timeout, deadline=deadline)


def configured_app_name() -> str:
    app_name = settings.HEROKU_CONNECT_APP_NAME
    if not app_name:
        raise NotConfigured("HEROKU_CONNECT_APP_NAME is not set.")
    return app_name


def _dt(value: Any) -> datetime.datetime | None:
    """Timestamps as ``YYYY-MM-DD HH:MM:SS+00:00`` or ISO 8601 with ``T``/``Z``."""
    if not value or not isinstance(value, str):
        return None
    parsed = parse_datetime(value.replace(" ", "T", 1).replace("Z", "+00:00"))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


# --- status refresh ------------------------------------------------------------------------

_MAPPING_VALUE_FIELDS = (
    "object_name", "state", "health_class", "access", "count_db", "count_sf", "count_pending",
    "count_errors", "times", "fetched_at", "removed_at",
)  # fmt: skip


def _mapping_values(item: dict[str, Any], fetched_at: datetime.datetime) -> dict[str, Any]:
    counts = item.get("counts") or {}
    state = str(item.get("state") or "")
    return {
        "object_name": str(item.get("object_name") or ""),
        "state": state,
        "health_class": mapping_health(state),
        "access": str((item.get("config") or {}).get("access") or item.get("access") or ""),
        "count_db": counts.get("db", counts.get("count")),
        "count_sf": counts.get("sf"),
        "count_pending": counts.get("pending"),
        "count_errors": counts.get("errors"),
        "times": item.get("times") or {},
        "fetched_at": fetched_at,
        "removed_at": None,
    }


def _snapshot_due(
    changed: bool, snapshot_at: datetime.datetime | None, now: datetime.datetime
) -> bool:
    """Snapshots are stored on a change, else at most every ``SNAPSHOT_EVERY`` (a heartbeat)."""
    return changed or snapshot_at is None or now - snapshot_at >= SNAPSHOT_EVERY


def _mapping_tracked(m: Mapping) -> tuple[Any, ...]:
    return (m.state, m.count_db, m.count_sf, m.count_pending, m.count_errors, m.removed_at)


@transaction.atomic
def store_connection(data: dict[str, Any], fetched_at: datetime.datetime) -> Connection:
    """Upsert a deep connection payload and append snapshots (a constant number of queries).

    A snapshot is stored when the state (or, for mappings, a count) changed, and otherwise
    every ``SNAPSHOT_EVERY``, so history grows with changes rather than with refreshes.
    Mappings missing from the payload are marked removed; their history stays.
    """
    state = str(data.get("state") or "")
    conn = Connection.objects.filter(connection_id=str(data["id"])).first()
    if conn is None:
        conn = Connection(connection_id=str(data["id"]))
    changed = conn.pk is None or conn.state != state
    conn.name = data.get("name") or data.get("resource_name") or ""
    conn.app_name = data.get("app_name") or ""
    conn.schema_name = data.get("schema_name") or ""
    conn.state = state
    conn.health_class = connection_health(state)
    conn.fetched_at = fetched_at
    conn.removed_at = None
    if _snapshot_due(changed, conn.snapshot_at, fetched_at):
        conn.snapshot_at = fetched_at
        conn.save()
        ConnectionSnapshot.objects.create(
            connection=conn, state=state, health_class=conn.health_class, fetched_at=fetched_at
        )
    else:
        conn.save()
    existing = {m.mapping_id: m for m in Mapping.objects.filter(connection=conn)}
    to_create: list[Mapping] = []
    to_update: list[Mapping] = []
    to_snapshot: list[Mapping] = []
    for item in data.get("mappings") or []:
        values = _mapping_values(item, fetched_at)
        mapping = existing.get(str(item["id"]))
        if mapping is None:
            mapping = Mapping(connection=conn, mapping_id=str(item["id"]), **values)
            to_create.append(mapping)
            changed = True
        else:
            before = _mapping_tracked(mapping)
            for key, value in values.items():
                setattr(mapping, key, value)
            to_update.append(mapping)
            changed = _mapping_tracked(mapping) != before
        if _snapshot_due(changed, mapping.snapshot_at, fetched_at):
            mapping.snapshot_at = fetched_at
            to_snapshot.append(mapping)
    Mapping.objects.bulk_create(to_create)
    Mapping.objects.bulk_update(to_update, [*_MAPPING_VALUE_FIELDS, "snapshot_at"])
    MappingSnapshot.objects.bulk_create(
        MappingSnapshot(
            mapping=m,
            state=m.state,
            health_class=m.health_class,
            count_db=m.count_db,
            count_sf=m.count_sf,
            count_pending=m.count_pending,
            count_errors=m.count_errors,
            times=m.times,
            fetched_at=fetched_at,
        )
        for m in to_snapshot
    )
    seen = {m.mapping_id for m in [*to_create, *to_update]}
    Mapping.objects.filter(connection=conn, removed_at__isnull=True).exclude(
        mapping_id__in=seen
    ).update(removed_at=fetched_at)
    return conn


@transaction.atomic
def store_notifications(
    conn: Connection, items: list[dict[str, Any]], fetched_at: datetime.datetime
) -> None:
    """Store the unacknowledged notifications; those no longer listed were acknowledged."""
    rows = [
        Notification(
            connection=conn,
            notification_id=str(n["id"]),
            event_type=str(n.get("event_type") or ""),
            message=str(n.get("message") or ""),
            created_at=_dt(n.get("created_at")),
            acknowledged=False,
            fetched_at=fetched_at,
        )
        for n in items
        if isinstance(n, dict) and n.get("id") is not None
    ]
    Notification.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["connection", "notification_id"],
        update_fields=["event_type", "message", "created_at", "acknowledged", "fetched_at"],
    )
    Notification.objects.filter(connection=conn, acknowledged=False).exclude(
        notification_id__in=[r.notification_id for r in rows]
    ).update(acknowledged=True)


def store_deployed(
    conn: Connection, document: dict[str, Any], fetched_at: datetime.datetime
) -> DeployedMapping:
    if not isinstance(document, dict) or not isinstance(document.get("mappings", []), list):
        from heroku_connect.api import APIInvalidResponse

        raise APIInvalidResponse("The export is not a mapping document (no 'mappings' list).")
    deployed, _ = DeployedMapping.objects.update_or_create(
        connection=conn, defaults={"document": document, "fetched_at": fetched_at}
    )
    return deployed


#: PostgreSQL advisory lock: one status refresh at a time (beat, a worker's start, Refresh now).
_REFRESH_LOCK_KEY = 0x68636F70_0002


class RefreshAlreadyRunning(Exception):
    """Another status refresh holds the lock; its result shows in a moment."""


@contextlib.contextmanager
def _one_refresh_at_a_time() -> Iterator[None]:
    """A session-level lock (API calls run outside transactions), released at the end."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFRESH_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise RefreshAlreadyRunning("A status refresh is already running.")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFRESH_LOCK_KEY])


def refresh_status(
    *, client: Any, app_name: str | None = None, time_budget: float | None = None
) -> RefreshRun:
    """One refresh: the list call, then per connection one deep GET, notifications, export.

    API calls: ``1 + 3 * connections``. A failure ends the run and is recorded in a failed
    :class:`RefreshRun` (what was stored before it stays, and the pages mark it stale). With a
    ``time_budget`` (seconds; a browser is waiting) no further connection is started once it is
    spent. Raises :class:`RefreshAlreadyRunning` while another refresh runs.
    """
    with _one_refresh_at_a_time():
        return _refresh_status(client=client, app_name=app_name, time_budget=time_budget)


def _refresh_status(*, client: Any, app_name: str | None, time_budget: float | None) -> RefreshRun:
    calls = 0
    now = timezone.now()
    started = time.monotonic()
    try:
        app_name = app_name or configured_app_name()
        calls += 1
        items = list(client.list_connections(app_name))
        listed: list[str] = []
        for done, item in enumerate(items):
            if time_budget is not None and time.monotonic() - started > time_budget:
                from heroku_connect.api import APIUnavailableError

                raise APIUnavailableError(
                    f"the refresh stopped after {time_budget:g} s with {done} of {len(items)} "
                    "connections refreshed; the background refresh fetches the rest."
                )
            calls += 1
            conn = store_connection(client.get_connection(str(item["id"]), deep=True), now)
            listed.append(conn.connection_id)
            calls += 1
            store_notifications(conn, client.notifications(conn.connection_id), now)
            calls += 1
            store_deployed(conn, client.export_mapping(conn.connection_id), now)
        # A connection the API no longer lists would otherwise keep its last (healthy) state
        # on the pages forever, and the mapping diff could default to it.
        unlisted = Connection.objects.filter(removed_at__isnull=True)
        unlisted.exclude(connection_id__in=listed).update(removed_at=now)
    except (KeyError, TypeError, AttributeError) as exc:
        # A payload of an unexpected shape (e.g. a mapping without an id).
        from heroku_connect.api import APIInvalidResponse

        problem = APIInvalidResponse(
            f"unexpected payload shape ({type(exc).__name__}: {str(exc)[:200]})."
        )
        return RefreshRun.objects.create(
            ok=False,
            error_kind=api_error_kind(problem),
            error_message=describe_api_error(problem),
            api_calls=calls,
        )
    except Exception as exc:
        if not is_api_error(exc):
            logger.exception("Heroku Connect status refresh failed unexpectedly")
        else:
            logger.warning("Heroku Connect status refresh failed: %s", describe_api_error(exc))
        return RefreshRun.objects.create(
            ok=False,
            error_kind=api_error_kind(exc),
            error_message=describe_api_error(exc),
            api_calls=calls,
        )
    prune_snapshots(now - SNAPSHOT_RETENTION)
    return RefreshRun.objects.create(ok=True, api_calls=calls)


def refresh_status_now(*, client: Any, user: Any) -> RefreshRun:
    """An operator's "Refresh now": a refresh bounded for a waiting browser, audited.

    Raises :class:`RefreshAlreadyRunning` (nothing is recorded then).
    """
    run = refresh_status(client=client, time_budget=tunable("WEB_REFRESH_BUDGET_SECONDS", 20))
    record_action(
        user=user,
        action="connections.refresh",
        target=f"app {settings.HEROKU_CONNECT_APP_NAME or '(not set)'}",
        row_count=Connection.objects.filter(removed_at__isnull=True).count() if run.ok else 0,
        outcome="ok" if run.ok else "error",
        detail=run.error_message,
    )
    return run


def prune_snapshots(before: datetime.datetime) -> None:
    ConnectionSnapshot.objects.filter(fetched_at__lt=before).delete()
    MappingSnapshot.objects.filter(fetched_at__lt=before).delete()
    RefreshRun.objects.filter(started_at__lt=before).delete()


def get_object_schema(*, client: Any, connection_id: str, object_name: str) -> dict | None:
    """``GET /connections/{C}/schemas/{Object}`` (the Salesforce describe); None on 404."""
    from heroku_connect.api import APIHTTPError, APIInvalidResponse

    url = "/".join(
        (
            client.endpoint.rstrip("/"),
            "connections",
            quote(connection_id, safe=""),
            "schemas",
            quote(object_name, safe=""),
        )
    )
    try:
        body = client.request("GET", url).json()
    except APIHTTPError as exc:
        if exc.status_code == 404:
            return None
        raise
    if not isinstance(body, dict):
        raise APIInvalidResponse(f"The schema of {object_name} is not a JSON object.")
    return body


def _read_write_objects(code: dict[str, Any]) -> list[str]:
    return [
        entry["object_name"]
        for entry in code.get("mappings") or []
        if (entry.get("config") or {}).get("access") == "read_write"
    ]


def _required_fields_of(*, client: Any, connection_id: str, object_name: str) -> list[str] | None:
    payload = get_object_schema(client=client, connection_id=connection_id, object_name=object_name)
    return required_fields_from_describe(payload) if payload is not None else None


def required_fields_for(
    *, client: Any, connection_id: str, code: dict[str, Any]
) -> dict[str, list[str]]:
    """Org-required fields of the code's read-write objects (one describe call per object).

    Objects whose schema the API does not offer (404) are left out (unknown, no warning).
    """
    required: dict[str, list[str]] = {}
    for name in _read_write_objects(code):
        fields = _required_fields_of(client=client, connection_id=connection_id, object_name=name)
        if fields is not None:
            required[name] = fields
    return required


@dataclass(frozen=True)
class FetchResult:
    """What "Fetch now" stored, and the read-write objects it could not check (and why)."""

    deployed: DeployedMapping
    unchecked: tuple[str, ...] = ()
    problem: str = ""


def fetch_deployed(*, client: Any, conn: Connection) -> FetchResult:
    """On demand: the export, plus the org-required fields of the code's read-write objects.

    A failing export raises the client's exception (the caller shows it in a banner) and the
    stored copy is left as it was. Once the export is in, it is stored; when a describe fails
    (typically the client's time budget running out on a slow API) the fetch stops there and
    keeps what it has: objects not checked are unknown (no required-field warning) and listed
    in the result, so the page can say so.
    """
    from heroku_connect.mapping import get_mapping

    document = client.export_mapping(conn.connection_id)
    now = timezone.now()
    required: dict[str, list[str]] = {}
    unchecked: list[str] = []
    problem = ""
    for name in _read_write_objects(get_mapping()):
        if problem:
            unchecked.append(name)
            continue
        try:
            fields = _required_fields_of(
                client=client, connection_id=conn.connection_id, object_name=name
            )
        except Exception as exc:
            if not is_api_error(exc):
                raise
            problem = describe_api_error(exc)
            unchecked.append(name)
            continue
        if fields is not None:
            required[name] = fields
    with transaction.atomic():
        deployed = store_deployed(conn, document, now)
        deployed.required_fields = required
        deployed.required_fields_at = now
        deployed.save(update_fields=["required_fields", "required_fields_at"])
    return FetchResult(deployed, tuple(unchecked), problem)


# --- imports -------------------------------------------------------------------------------


class ImportAlreadyRunning(Exception):
    """Another import of this connection is queued or running."""


def request_import(*, conn: Connection, document: dict[str, Any], user: Any) -> ImportJob:
    """Create a queued job and enqueue the task after commit.

    The partial unique constraint refuses a second active job of the same connection.
    """
    deployed = DeployedMapping.objects.filter(connection=conn).first()
    summary = diff_mappings(document, deployed.document if deployed else None).summary()
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                connection=conn, document=document, diff_summary=summary, requested_by=user
            )
    except IntegrityError as exc:
        raise ImportAlreadyRunning(
            f"An import of {conn} is already queued or running; wait for it to finish."
        ) from exc
    record_action(
        user=user,
        action="connections.import_requested",
        target=f"connection {conn.connection_id}",
        selection={"import_job": job.pk, "diff": summary},
        row_count=len(document.get("mappings") or []),
    )
    transaction.on_commit(lambda: _enqueue_import(job.pk))
    return job


def _enqueue_import(job_id: int) -> None:
    from . import tasks

    try:
        tasks.run_import.delay(job_id)
    except Exception:  # the broker is down: the recovery beat task will enqueue it again
        logger.exception("Could not enqueue import job %s; the recovery task will retry", job_id)


class _ClaimLost(Exception):
    """Another worker run took this job over (after this one's heartbeat went stale)."""


class _Run:
    """One worker run of a job; every write is guarded by the run's claim (``attempt``)."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job

    def save(self, **fields: Any) -> None:
        fields["heartbeat_at"] = timezone.now()
        updated = ImportJob.objects.filter(
            pk=self.job.pk, attempt=self.job.attempt, state__in=ImportJob.ACTIVE_STATES
        ).update(**fields)
        if not updated:
            raise _ClaimLost
        for key, value in fields.items():
            setattr(self.job, key, value)

    def finish(self, state: ImportJob.State, reason: str = "") -> None:
        self.save(state=state, reason=reason, finished_at=timezone.now())


def claim_job(job_id: int) -> ImportJob | None:
    """Claim an active job whose heartbeat is missing or stale; None when not claimable."""
    now = timezone.now()
    claimable = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - import_stale_after())
    with transaction.atomic():
        updated = (
            ImportJob.objects.filter(pk=job_id, state__in=ImportJob.ACTIVE_STATES)
            .filter(claimable)
            .update(attempt=F("attempt") + 1, heartbeat_at=now)
        )
        if not updated:
            return None
        job = ImportJob.objects.select_related("connection", "requested_by").get(pk=job_id)
        if job.started_at is None:
            job.started_at = now
            job.save(update_fields=["started_at"])
    return job


def continue_job(job_id: int, attempt: int) -> ImportJob | None:
    """The job for the next step of the run holding claim ``attempt``; None if taken over/ended."""
    return (
        ImportJob.objects.select_related("connection", "requested_by")
        .filter(pk=job_id, attempt=attempt, state__in=ImportJob.ACTIVE_STATES)
        .first()
    )


def import_step(job: ImportJob, *, client: Any) -> float | None:
    """Advance a claimed job by one step (upload, then one poll per step).

    Returns the seconds to wait before the next step (bounded backoff), or None when the job
    has ended (DONE / FAILED, audited) or another run took it over. Never raises: an API
    failure fails the job with the problem as its reason.
    """
    run = _Run(job)
    cid = job.connection.connection_id
    timeout = import_timeout()
    try:
        # "Upload started" without "uploaded": a run died (or lost its claim) mid-upload. Only
        # the API knows whether the POST arrived; ask it rather than send the import twice.
        if (
            job.uploaded_at is None
            and job.upload_started_at is not None
            and upload_arrived(client=client, connection_id=cid, document=job.document)
        ):
            run.save(state=ImportJob.State.WAITING, uploaded_at=timezone.now())
        if job.uploaded_at is None:
            run.save(state=ImportJob.State.UPLOADING, upload_started_at=timezone.now())
            client.import_mapping(cid, job.document)
            run.save(state=ImportJob.State.WAITING, uploaded_at=timezone.now())
        state = str(client.get_connection(cid).get("state") or "")
        run.save(polls=job.polls + 1, last_connection_state=state)
        if state != ConnectionState.IMPORT_CONFIGURATION:
            if connection_health(state) == HealthClass.UNHEALTHY:
                run.finish(ImportJob.State.FAILED, f"The connection went to {state}.")
            else:
                run.finish(ImportJob.State.DONE)
        elif timezone.now() - job.started_at > timeout:
            run.finish(
                ImportJob.State.FAILED,
                f"Timed out after {int(timeout.total_seconds())} s: the connection is "
                "still in IMPORT_CONFIGURATION.",
            )
        else:
            return poll_delay(job.polls - 1)
    except _ClaimLost:
        return None
    except Exception as exc:
        if not is_api_error(exc):
            logger.exception("Import job %s failed unexpectedly", job.pk)
        try:
            run.finish(ImportJob.State.FAILED, describe_api_error(exc))
        except _ClaimLost:
            return None
    _audit_import(job)
    if job.state == ImportJob.State.DONE:
        try:
            fetch_deployed_export(client=client, conn=job.connection)
        except Exception as exc:  # the diff page offers a manual fetch
            logger.warning("Export after import %s failed: %s", job.pk, describe_api_error(exc))
    return None


def upload_arrived(*, client: Any, connection_id: str, document: dict[str, Any]) -> bool:
    """Whether Heroku Connect already has this import: it is importing now, or every mapping of
    the document is deployed as the document says (nothing left to add or change).

    Heroku Connect answers an import with the connection in ``IMPORT_CONFIGURATION`` until it
    is applied, so a received upload shows either way. The recovery that calls this runs only
    after the stale limit (``import_stale_after()``, minutes), far beyond an API call's timeout,
    so an upload still in flight has been answered or abandoned by then.
    """
    info = client.get_connection(connection_id)
    if info.get("state") == ConnectionState.IMPORT_CONFIGURATION:
        return True
    summary = diff_mappings(document, client.export_mapping(connection_id)).summary()
    return summary["added"] == 0 and summary["changed"] == 0


def run_import(
    job_id: int,
    *,
    client: Any,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportJob | None:
    """Claim a job and drive it to DONE or FAILED in this thread (tests, bench, scripts).

    The Celery task runs the same steps but re-enqueues itself between them instead of
    sleeping. Returns None when the job was not claimable (finished, or another run is
    heart-beating) or was taken over meanwhile.
    """
    job = claim_job(job_id)
    if job is None:
        return None
    while (delay := import_step(job, client=client)) is not None:
        sleep(delay)
    return job if not job.is_active else None


def fetch_deployed_export(*, client: Any, conn: Connection) -> DeployedMapping:
    """The export only (one API call), stored as the deployed mapping."""
    return store_deployed(conn, client.export_mapping(conn.connection_id), timezone.now())


def _audit_import(job: ImportJob) -> None:
    ok = job.state == ImportJob.State.DONE
    record_action(
        user=job.requested_by,
        action="connections.import_mapping",
        target=f"connection {job.connection.connection_id}",
        selection={"import_job": job.pk, "diff": job.diff_summary},
        row_count=len(job.document.get("mappings") or []),
        outcome="ok" if ok else "error",
        detail=(
            f"Import #{job.pk} done after {job.polls} polls."
            if ok
            else f"Import #{job.pk} failed: {job.reason}"
        ),
    )


def fail_abandoned(job: ImportJob, reason: str) -> bool:
    """Fail an active job directly (no worker); False if it finished meanwhile."""
    updated = ImportJob.objects.filter(pk=job.pk, state__in=ImportJob.ACTIVE_STATES).update(
        state=ImportJob.State.FAILED,
        reason=reason,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if updated:
        job.refresh_from_db()
        _audit_import(job)
    return bool(updated)


def recover_imports(*, enqueue: Callable[[int], Any]) -> dict[str, int]:
    """Beat task body: re-enqueue abandoned jobs; fail those past the overall timeout.

    A job is abandoned when its heartbeat (or, never started, its creation) is older than the
    stale limit. One that could no longer finish within the timeout fails here, so no job
    stays active for ever even without any worker.
    """
    now = timezone.now()
    cutoff = now - import_stale_after()
    stale = ImportJob.objects.filter(state__in=ImportJob.ACTIVE_STATES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    limit = import_timeout() + import_stale_after()
    counts = {"requeued": 0, "failed": 0}
    for job in stale.select_related("connection", "requested_by"):
        if now - (job.started_at or job.created_at) > limit:
            if fail_abandoned(
                job,
                f"Abandoned: no worker finished it within {int(limit.total_seconds())} s.",
            ):
                counts["failed"] += 1
        else:
            enqueue(job.pk)
            counts["requeued"] += 1
    return counts


# --- connection and mapping actions --------------------------------------------------------


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    RESTART = "restart"
    RELOAD = "reload"
    ACKNOWLEDGE = "acknowledge"


ACTION_LABELS = {
    Action.PAUSE: "Pause connection",
    Action.RESUME: "Resume connection",
    Action.RESTART: "Restart (recover) connection",
    Action.RELOAD: "Reload mapping",
    Action.ACKNOWLEDGE: "Acknowledge notifications",
}

#: Actions on one mapping (the others act on the connection).
MAPPING_ACTIONS = frozenset({Action.RELOAD})


def _call_action(
    client: Any, action: Action, conn: Connection, mapping: Mapping | None
) -> tuple[str, int]:
    """Send the action; returns the audit target and the number of things it affected."""
    if action in MAPPING_ACTIONS:
        if mapping is None:
            raise ValueError(f"{action} needs a mapping")
        client.reload_mapping(mapping.mapping_id)
        return f"mapping {mapping.object_name} ({mapping.mapping_id})", 1
    target = f"connection {conn.connection_id}"
    if action == Action.ACKNOWLEDGE:
        # Only what the operator has seen: notifications created before our last fetch.
        seen = Notification.objects.filter(connection=conn, acknowledged=False)
        client.acknowledge_notifications(
            conn.connection_id, before=(conn.fetched_at or timezone.now()).isoformat()
        )
        return target, seen.update(acknowledged=True)
    getattr(client, f"{action.value}_connection")(conn.connection_id)
    return target, 1


def perform_action(
    *, client: Any, user: Any, action: Action, conn: Connection, mapping: Mapping | None = None
) -> int:
    """Call the API action and record it (also when it fails; the exception is re-raised)."""
    try:
        target, count = _call_action(client, action, conn, mapping)
    except Exception as exc:
        record_action(
            user=user,
            action=f"connections.{action.value}",
            target=f"mapping {mapping.mapping_id}"
            if mapping
            else f"connection {conn.connection_id}",
            outcome="error",
            detail=describe_api_error(exc),
        )
        raise
    record_action(user=user, action=f"connections.{action.value}", target=target, row_count=count)
    return count
