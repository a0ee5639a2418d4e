"""The simulator's in-memory state: one connection, its mappings, notifications, diagnose runs
and the fault settings of the API.

Everything here is shared between the HTTP server's threads, the importer's background thread
and the sync engine's loops, so every change goes through a :class:`SimulatorState` method that
holds one re-entrant lock. Readers get copies (:meth:`SimulatorState.mappings`,
:meth:`SimulatorState.mapping`) and never see a half-applied change.

The database is not touched here: the mapped tables and the trigger log live in PostgreSQL and
are read by the server and the engine themselves.
"""

from __future__ import annotations

import collections
import copy
import datetime
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from heroku_connect.schema import READ_ONLY, READ_WRITE
from heroku_connect.states import ConnectionState, MappingState

__all__ = (
    "DEFAULT_API_VERSION",
    "ERROR_CONNECTION_STATES",
    "SYNCING_CONNECTION_STATES",
    "Connection",
    "ConnectionState",
    "FaultSettings",
    "Mapping",
    "MappingConfig",
    "MappingState",
    "Notification",
    "SimulatorState",
    "StateError",
    "Validation",
    "column_name",
    "utcnow",
)

DEFAULT_API_VERSION = "64.0"
TIME_KEYS = ("sf_poll", "sf_write", "db_poll", "db_write")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def column_name(field_name: str) -> str:
    """The Postgres column of a Salesforce field: lowercase, ``Id`` becomes ``sfid``."""
    return "sfid" if field_name == "Id" else field_name.lower()


#: States in which the sync engine writes to and reads from the org.
SYNCING_CONNECTION_STATES = frozenset(
    {ConnectionState.IDLE, ConnectionState.POLLING_DB_CHANGES, ConnectionState.BUSY}
)
#: States in which nothing syncs until an operator (or the control endpoint) intervenes.
ERROR_CONNECTION_STATES = frozenset(
    {
        ConnectionState.NEED_AUTHENTICATION,
        ConnectionState.SYSTEM_ERROR,
        ConnectionState.DB_UNAVAILABLE,
        ConnectionState.TOO_MANY_ROWS,
        ConnectionState.UNAUTHORIZED,
        ConnectionState.HEROKU_UNAUTH,
        ConnectionState.INACTIVE_ORG,
        ConnectionState.SYSTEM_ON_ICE,
    }
)


class StateError(Exception):
    """An illegal transition; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class MappingConfig:
    """A mapping's ``config`` (docs/heroku-connect/configuration.md §2), plus ``revision`` and
    ``applied_at``."""

    access: str = READ_ONLY
    sf_notify_enabled: bool = False
    sf_polling_seconds: int = 600
    sf_max_daily_api_calls: int = 30000
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    indexes: dict[str, dict[str, bool]] = field(default_factory=dict)
    upsert_field: str | None = None
    revision: int = 1
    applied_at: datetime.datetime = field(default_factory=utcnow)

    def as_export(self) -> dict[str, Any]:
        """The config as exports carry it (no ``revision`` / ``applied_at``)."""
        data: dict[str, Any] = {
            "access": self.access,
            "sf_notify_enabled": self.sf_notify_enabled,
            "sf_polling_seconds": self.sf_polling_seconds,
            "sf_max_daily_api_calls": self.sf_max_daily_api_calls,
            "fields": copy.deepcopy(self.fields),
            "indexes": copy.deepcopy(self.indexes),
        }
        if self.upsert_field:
            data["upsert_field"] = self.upsert_field
        return data

    def same_deployment(self, other: MappingConfig) -> bool:
        """True when importing ``other`` over this config changes nothing."""
        return self.as_export() == other.as_export()


@dataclass
class Mapping:
    """One mapped object. ``table_name`` is the lowercase object name."""

    object_name: str
    config: MappingConfig
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    internal_id: int = 0
    state: MappingState = MappingState.INITIAL
    state_description: str = "OK"
    created_at: datetime.datetime = field(default_factory=utcnow)
    updated_at: datetime.datetime = field(default_factory=utcnow)
    times: dict[str, datetime.datetime | None] = field(
        default_factory=lambda: dict.fromkeys(TIME_KEYS)
    )
    #: ``True`` while the engine writes this mapping's changes to the org.
    actively_writing: bool = False

    @property
    def table_name(self) -> str:
        return self.object_name.lower()

    @property
    def access(self) -> str:
        return self.config.access

    @property
    def read_write(self) -> bool:
        return self.config.access == READ_WRITE

    @property
    def upsert_field(self) -> str | None:
        return self.config.upsert_field

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return self.config.fields

    @property
    def sf_polling_seconds(self) -> int:
        return self.config.sf_polling_seconds

    @property
    def columns(self) -> dict[str, str]:
        """Salesforce field name -> Postgres column, in config order."""
        return {name: column_name(name) for name in self.config.fields}


@dataclass
class Notification:
    id: str
    created_at: datetime.datetime
    event_type: str
    message: str
    acknowledged: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "event_type": self.event_type,
            "message": self.message,
        }


@dataclass
class Validation:
    """One diagnose run: ``result`` is ``None`` until ``ready_at``."""

    id: str
    started_at: datetime.datetime
    ready_at: datetime.datetime
    result: dict[str, Any] | None = None


@dataclass
class Connection:
    """The simulated Heroku Connect add-on (docs/heroku-connect/api.md §4)."""

    app_name: str
    organization_id: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    internal_id: int = 1
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    addon_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource_name: str = ""
    name: str = ""
    schema_name: str = "salesforce"
    db_key: str = "DATABASE_URL"
    state: ConnectionState = ConnectionState.IDLE
    api_version: str = DEFAULT_API_VERSION
    plan: str = "enterprise"
    logplex_log_enabled: bool = True
    created_at: datetime.datetime = field(default_factory=utcnow)
    features: dict[str, bool] = field(
        default_factory=lambda: {
            "disable_bulk_writes": False,
            "poll_db_no_merge": True,
            "poll_external_ids": False,
            "rest_count_only": False,
            "cdc_for_accelerated_polling": False,
            "force_picklist_255": False,
            "ucs_basic_collation_index": False,
            "use_assignment_rules": False,
            "retry_failed_create_soap_call": False,
            "temp_tables_in_transactions": False,
            "mtls_shield_connection": False,
        }
    )
    mappings: dict[str, Mapping] = field(default_factory=dict)
    last_write_activity_time: datetime.datetime | None = None

    def __post_init__(self) -> None:
        if not self.resource_name:
            self.resource_name = f"herokuconnect-{self.app_name}"
        if not self.name:
            self.name = self.app_name

    @property
    def ordered_writes(self) -> bool:
        """``features.poll_db_no_merge``: True for ordered writes, False for merged writes."""
        return bool(self.features.get("poll_db_no_merge"))


@dataclass
class FaultSettings:
    """Faults the API injects into every authenticated ``/api/v3`` request (not the control API).

    ``latency`` seconds are slept first; ``timeout`` sleeps ``timeout_seconds`` (longer than a
    client's timeout) and then answers 504; ``drop`` closes the connection without an answer (a
    connection error for the client); ``unauthorized`` answers 401, ``status`` answers that
    status with a ``{message}`` body and, with ``retry_after``, that ``Retry-After`` header
    (seconds or an HTTP date); ``invalid_json`` answers 200 with a body that is not JSON.
    ``times`` limits the faults to the next N API requests (then they clear themselves), so a
    test can script "two 503s, then answers".
    """

    latency: float = 0.0
    status: int | None = None
    timeout: bool = False
    timeout_seconds: float = 35.0
    unauthorized: bool = False
    invalid_json: bool = False
    drop: bool = False
    retry_after: str | None = None
    times: int | None = None

    def active(self) -> bool:
        return self != FaultSettings(timeout_seconds=self.timeout_seconds)

    def as_json(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "status": self.status,
            "timeout": self.timeout,
            "timeout_seconds": self.timeout_seconds,
            "unauthorized": self.unauthorized,
            "invalid_json": self.invalid_json,
            "drop": self.drop,
            "retry_after": self.retry_after,
            "times": self.times,
        }


class SimulatorState:
    """Thread-safe holder of the connection, its mappings, notifications, validations, faults."""

    def __init__(
        self,
        *,
        app_name: str,
        organization_id: str,
        schema: str = "salesforce",
        ordered_writes: bool = True,
        api_version: str = DEFAULT_API_VERSION,
    ) -> None:
        self.lock = threading.RLock()
        self.connection = Connection(
            app_name=app_name,
            organization_id=organization_id,
            schema_name=schema,
            api_version=api_version,
        )
        self.connection.features["poll_db_no_merge"] = ordered_writes
        self.faults = FaultSettings()
        #: API requests received, per ``"METHOD /path"`` (the control API is not counted).
        self.requests: collections.Counter[str] = collections.Counter()
        self.notifications: list[Notification] = []
        self.validations: dict[str, Validation] = {}
        self._next_mapping_id = 1
        self._next_notification_id = 1
        #: Set whenever the connection is not importing or recovering; tests wait on it.
        self._import_done = threading.Event()
        self._import_done.set()

    # --- reading (copies) -------------------------------------------------------------------

    @property
    def connection_id(self) -> str:
        return self.connection.id

    @property
    def app_name(self) -> str:
        return self.connection.app_name

    @property
    def schema(self) -> str:
        return self.connection.schema_name

    @property
    def ordered_writes(self) -> bool:
        with self.lock:
            return self.connection.ordered_writes

    @property
    def connection_state(self) -> ConnectionState:
        with self.lock:
            return self.connection.state

    def is_syncing(self) -> bool:
        """True when the engine may write and poll (not paused, importing or in an error)."""
        with self.lock:
            return self.connection.state in SYNCING_CONNECTION_STATES

    def snapshot(self) -> Connection:
        """A deep copy of the connection with its mappings."""
        with self.lock:
            return copy.deepcopy(self.connection)

    def mappings(self) -> list[Mapping]:
        """Copies of every mapping, ordered by creation."""
        with self.lock:
            return [copy.deepcopy(m) for m in self.connection.mappings.values()]

    def read_write_mappings(self) -> list[Mapping]:
        return [m for m in self.mappings() if m.read_write]

    def mapping(self, mapping_id: str) -> Mapping | None:
        with self.lock:
            found = self.connection.mappings.get(mapping_id)
            return copy.deepcopy(found) if found else None

    def mapping_for_object(self, object_name: str) -> Mapping | None:
        """The mapping of ``object_name`` (case-insensitive, like the CLI)."""
        wanted = object_name.lower()
        with self.lock:
            for m in self.connection.mappings.values():
                if m.object_name.lower() == wanted:
                    return copy.deepcopy(m)
        return None

    def mapping_for_table(self, table_name: str) -> Mapping | None:
        return self.mapping_for_object(table_name)

    # --- connection transitions -------------------------------------------------------------

    def set_connection_state(self, state: ConnectionState | str) -> None:
        """Set any state (control endpoint, importer, engine)."""
        new_state = ConnectionState(state)
        with self.lock:
            self.connection.state = new_state
            if new_state in (ConnectionState.IMPORT_CONFIGURATION, ConnectionState.RECOVERY):
                self._import_done.clear()
            else:
                self._import_done.set()

    def pause(self) -> None:
        """Pausing is allowed only from IDLE (docs/heroku-connect/states.md §2).

        ``POLLING_DB_CHANGES`` counts as IDLE here: it is the simulator's short write pass,
        which finishes its batch before the engine sees PAUSED (Connect "finishes pending
        operations before it enters PAUSED").
        """
        with self.lock:
            current = self.connection.state
            if current not in (ConnectionState.IDLE, ConnectionState.POLLING_DB_CHANGES):
                raise StateError(
                    f"The connection can only be paused when it is IDLE; it is {current}."
                )
            self.connection.state = ConnectionState.PAUSED

    def resume(self) -> None:
        """Resume a paused connection (continues where it left off)."""
        with self.lock:
            current = self.connection.state
            if current != ConnectionState.PAUSED:
                raise StateError(f"The connection is not paused; it is {current}.")
            self.connection.state = ConnectionState.IDLE

    def restart(self) -> list[str]:
        """Recover ("connect:recover"): returns the ids of the mappings to resync.

        Mappings that are not ``DATA_SYNCED`` (an error, or stuck in ``SCHEMA_CHANGED``) must
        be re-applied: the connection shows ``RECOVERY`` until :meth:`end_recovery`. With
        nothing to resync the connection is ``IDLE`` at once. 409 while importing/recovering.
        """
        with self.lock:
            if self.connection.state in (
                ConnectionState.IMPORT_CONFIGURATION,
                ConnectionState.RECOVERY,
            ):
                raise StateError(
                    f"The connection is {self.connection.state}; try again when it is done."
                )
            to_resync = [
                m.id
                for m in self.connection.mappings.values()
                if m.state not in (MappingState.DATA_SYNCED, MappingState.RELOAD_TABLE)
            ]
            self.set_connection_state(
                ConnectionState.RECOVERY if to_resync else ConnectionState.IDLE
            )
            return to_resync

    def end_recovery(self) -> None:
        """Back to IDLE unless something changed the state meanwhile."""
        with self.lock:
            if self.connection.state == ConnectionState.RECOVERY:
                self.set_connection_state(ConnectionState.IDLE)
            self._import_done.set()

    def begin_import(self) -> None:
        """Enter IMPORT_CONFIGURATION; 409 when importing already or in an error state."""
        with self.lock:
            current = self.connection.state
            if current == ConnectionState.IMPORT_CONFIGURATION:
                raise StateError("A configuration import is already in progress.")
            if current in ERROR_CONNECTION_STATES or current == ConnectionState.PAUSED:
                raise StateError(
                    f"Cannot import a configuration while the connection is {current}."
                )
            self.set_connection_state(ConnectionState.IMPORT_CONFIGURATION)

    def end_import(self) -> None:
        """Back to IDLE unless something (the control endpoint) changed the state meanwhile."""
        with self.lock:
            if self.connection.state == ConnectionState.IMPORT_CONFIGURATION:
                self.set_connection_state(ConnectionState.IDLE)
            self._import_done.set()

    def wait_import_done(self, timeout: float | None = None) -> bool:
        return self._import_done.wait(timeout)

    @contextmanager
    def polling_db(self) -> Iterator[bool]:
        """Show POLLING_DB_CHANGES during a write cycle; yields False when syncing is off.

        The state goes back to IDLE afterwards unless it was changed meanwhile.
        """
        with self.lock:
            syncing = self.connection.state in SYNCING_CONNECTION_STATES
            if syncing and self.connection.state == ConnectionState.IDLE:
                self.connection.state = ConnectionState.POLLING_DB_CHANGES
        try:
            yield syncing
        finally:
            with self.lock:
                if self.connection.state == ConnectionState.POLLING_DB_CHANGES:
                    self.connection.state = ConnectionState.IDLE

    def patch_connection(self, **fields: Any) -> None:
        """PATCH /connections/{C}: ``db_key``, ``schema_name``, ``name``, ``features``."""
        with self.lock:
            for key in ("db_key", "schema_name", "name"):
                if key in fields:
                    setattr(self.connection, key, fields[key])
            if "features" in fields:
                self.connection.features.update(fields["features"])

    def change_api_version(self, version: str) -> None:
        """Change the Salesforce API version; only while PAUSED (409 otherwise)."""
        with self.lock:
            if self.connection.state != ConnectionState.PAUSED:
                raise StateError(
                    "The connection must be PAUSED to change the Salesforce API version; "
                    f"it is {self.connection.state}."
                )
            self.connection.api_version = version

    def set_ordered_writes(self, ordered: bool) -> None:
        with self.lock:
            self.connection.features["poll_db_no_merge"] = bool(ordered)

    # --- mapping transitions ----------------------------------------------------------------

    def add_mapping(self, object_name: str, config: MappingConfig) -> Mapping:
        """A new mapping in state INITIAL (revision 1)."""
        with self.lock:
            mapping = Mapping(object_name=object_name, config=config)
            mapping.internal_id = self._next_mapping_id
            self._next_mapping_id += 1
            config.revision = 1
            config.applied_at = utcnow()
            self.connection.mappings[mapping.id] = mapping
            return copy.deepcopy(mapping)

    def update_mapping_config(self, mapping_id: str, config: MappingConfig) -> Mapping:
        """Replace a mapping's config: revision + 1, state SCHEMA_CHANGED."""
        with self.lock:
            mapping = self._get(mapping_id)
            config.revision = mapping.config.revision + 1
            config.applied_at = utcnow()
            mapping.config = config
            mapping.state = MappingState.SCHEMA_CHANGED
            mapping.updated_at = utcnow()
            return copy.deepcopy(mapping)

    def set_mapping_state(self, mapping_id: str, state: MappingState | str) -> None:
        with self.lock:
            mapping = self._get(mapping_id)
            mapping.state = MappingState(state)
            mapping.updated_at = utcnow()

    def delete_mapping(self, mapping_id: str) -> Mapping:
        with self.lock:
            mapping = self._get(mapping_id)
            del self.connection.mappings[mapping_id]
            return mapping

    def touch(self, mapping_id: str, key: str, when: datetime.datetime | None = None) -> None:
        """Record ``times[key]`` (``sf_poll``, ``sf_write``, ``db_poll``, ``db_write``)."""
        if key not in TIME_KEYS:
            raise ValueError(f"unknown time key {key!r}")
        when = when or utcnow()
        with self.lock:
            mapping = self.connection.mappings.get(mapping_id)
            if mapping is None:
                return
            mapping.times[key] = when
            if key == "sf_write":
                self.connection.last_write_activity_time = when

    def set_actively_writing(self, mapping_id: str, writing: bool) -> None:
        with self.lock:
            mapping = self.connection.mappings.get(mapping_id)
            if mapping is not None:
                mapping.actively_writing = writing

    def _get(self, mapping_id: str) -> Mapping:
        try:
            return self.connection.mappings[mapping_id]
        except KeyError:
            raise StateError(f"Mapping {mapping_id} not found.", status=404) from None

    # --- notifications and validations ------------------------------------------------------

    def add_notification(self, event_type: str, message: str) -> Notification:
        with self.lock:
            notification = Notification(
                id=str(self._next_notification_id),
                created_at=utcnow(),
                event_type=event_type,
                message=message,
            )
            self._next_notification_id += 1
            self.notifications.append(notification)
            return copy.deepcopy(notification)

    def matching_notifications(
        self,
        *,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        event_type: str | None = None,
    ) -> list[Notification]:
        """Unacknowledged notifications, oldest first, filtered like the API's query params."""
        with self.lock:
            return [
                copy.deepcopy(n)
                for n in self.notifications
                if not n.acknowledged
                and (after is None or n.created_at > after)
                and (before is None or n.created_at < before)
                and (event_type is None or n.event_type == event_type)
            ]

    def acknowledge(self, ids: set[str]) -> int:
        with self.lock:
            count = 0
            for n in self.notifications:
                if n.id in ids and not n.acknowledged:
                    n.acknowledged = True
                    count += 1
            return count

    def add_validation(self, ready_at: datetime.datetime, result: dict[str, Any]) -> Validation:
        with self.lock:
            validation = Validation(
                id=str(uuid.uuid4()), started_at=utcnow(), ready_at=ready_at, result=result
            )
            self.validations[validation.id] = validation
            return copy.deepcopy(validation)

    def validation(self, validation_id: str) -> Validation | None:
        with self.lock:
            found = self.validations.get(validation_id)
            return copy.deepcopy(found) if found else None

    # --- faults -----------------------------------------------------------------------------

    def set_faults(self, **changes: Any) -> FaultSettings:
        """Update some fault settings; unknown names raise ``ValueError``."""
        with self.lock:
            for name, value in changes.items():
                if name not in FaultSettings.__dataclass_fields__:
                    raise ValueError(f"unknown fault {name!r}")
                setattr(self.faults, name, value)
            return copy.deepcopy(self.faults)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = FaultSettings(timeout_seconds=self.faults.timeout_seconds)

    def current_faults(self) -> FaultSettings:
        with self.lock:
            return copy.deepcopy(self.faults)

    def take_faults(self) -> FaultSettings:
        """The faults for one API request: counts ``times`` down and clears them at zero."""
        with self.lock:
            faults = copy.deepcopy(self.faults)
            if self.faults.times is not None and self.faults.active():
                self.faults.times -= 1
                if self.faults.times <= 0:
                    self.faults = FaultSettings(timeout_seconds=self.faults.timeout_seconds)
            return faults

    # --- request counts ---------------------------------------------------------------------

    def count_request(self, method: str, path: str) -> None:
        with self.lock:
            self.requests[f"{method} {path.rstrip('/') or '/'}"] += 1

    @property
    def api_requests(self) -> int:
        """Requests on the authenticated API (faulted ones too) since the last reset."""
        with self.lock:
            return sum(self.requests.values())

    def request_counts(self) -> dict[str, int]:
        """``{"POST /api/v3/connections/<id>/actions/import": 1, ...}`` since the last reset."""
        with self.lock:
            return dict(self.requests)

    def reset_request_counts(self) -> None:
        with self.lock:
            self.requests.clear()
