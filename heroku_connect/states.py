"""Heroku Connect connection and mapping states, their health, write algorithms, API constants.

:data:`CONNECTION_HEALTH` and :data:`MAPPING_HEALTH` are the one table of states and their
:class:`HealthClass`. The health check, the simulator and the dashboard all classify through
:func:`connection_health` and :func:`mapping_health`; a state missing from the table is
``UNKNOWN``, never healthy.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum, unique
from typing import Any, Final

__all__ = (
    "CONNECTION_HEALTH",
    "ERROR_MAPPING_STATES",
    "HEROKU_REQUEST_TIMEOUT",
    "MAPPING_HEALTH",
    "OK_MAPPING_STATES",
    "TEMPORARY_ERROR_MAPPING_STATES",
    "ConnectionState",
    "ConnectionStates",
    "HealthClass",
    "MappingState",
    "WriteAlgorithm",
    "connection_health",
    "mapping_health",
    "write_algorithm_from_connection_info",
)

#: Seconds to wait for the Heroku Connect API on every HTTP call (the public package's value).
HEROKU_REQUEST_TIMEOUT = 30


class ConnectionStates:
    """States of a Heroku Connect connection (each value equals its name)."""

    IDLE = "IDLE"
    POLLING_DB_CHANGES = "POLLING_DB_CHANGES"
    IMPORT_CONFIGURATION = "IMPORT_CONFIGURATION"
    BUSY = "BUSY"
    NEED_AUTHENTICATION = "NEED_AUTHENTICATION"
    INACTIVE_ORG = "INACTIVE_ORG"
    PAUSED = "PAUSED"

    OK_STATES = (IDLE, POLLING_DB_CHANGES, IMPORT_CONFIGURATION, BUSY)


class ConnectionState(StrEnum):
    """Every connection state Heroku Connect documents (docs/heroku-connect/states.md §1).

    :class:`ConnectionStates` keeps the public package's seven names; this enum is the full list
    (setup, transient, warning and error states, and both spellings of the iced state).
    """

    NEW = "NEW"
    NEED_AUTHENTICATION = "NEED_AUTHENTICATION"
    IDLE = "IDLE"
    POLLING_DB_CHANGES = "POLLING_DB_CHANGES"
    BUSY = "BUSY"
    IMPORT_CONFIGURATION = "IMPORT_CONFIGURATION"
    PAUSED = "PAUSED"
    RECOVERY = "RECOVERY"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    UNAUTHORIZED = "UNAUTHORIZED"
    HEROKU_UNAUTH = "HEROKU_UNAUTH"
    INACTIVE_ORG = "INACTIVE_ORG"
    SYSTEM_ON_ICE = "SYSTEM_ON_ICE"
    ICED = "ICED"


@unique
class MappingState(str, Enum):  # noqa: UP042 (same str() as the public package)
    """States of one mapping (one object synchronised by a connection)."""

    DATA_SYNCED = "DATA_SYNCED"
    INITIAL = "INITIAL"
    RESYNC = "RESYNC"
    RELOAD_TABLE = "RELOAD_TABLE"
    SCHEMA_CHANGED = "SCHEMA_CHANGED"
    POLLING_SF_CHANGES = "POLLING_SF_CHANGES"
    POLLING_SF_BULK = "POLLING_SF_BULK"
    POLLING_SF_FOR_DELETES = "POLLING_SF_FOR_DELETES"
    WAIT_BULK_LOAD = "WAIT_BULK_LOAD"
    LOADING_BULK_JOB = "LOADING_BULK_JOB"
    RESOLVE_EXTERNAL_IDS = "RESOLVE_EXTERNAL_IDS"
    BULK_LOAD_ERROR = "BULK_LOAD_ERROR"
    WAIT_BULK_UPDATE = "WAIT_BULK_UPDATE"
    APPLYING_BULK_UPDATE = "APPLYING_BULK_UPDATE"
    POLL_EXTERNAL_IDS = "POLL_EXTERNAL_IDS"
    RECOVERY = "RECOVERY"
    ABORTED = "ABORTED"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    BAD_CONFIG = "BAD_CONFIG"
    SYNC_REMOVED = "SYNC_REMOVED"
    INACTIVE_ORG = "INACTIVE_ORG"
    UNAUTHORIZED = "UNAUTHORIZED"


class HealthClass(StrEnum):
    """How healthy a connection or mapping state is (the values are stored by the dashboard)."""

    #: Syncing normally.
    HEALTHY = "healthy"
    #: Work in progress that ends by itself (a recovery, a table being created or altered).
    TRANSIENT = "transient"
    #: Nothing is broken, but nothing syncs until someone acts (a paused connection).
    WARNING = "warning"
    #: The add-on is not set up yet (no database, or Salesforce not authorized).
    SETUP_NEEDED = "setup_needed"
    #: An error that stops syncing until someone acts.
    UNHEALTHY = "unhealthy"
    #: A state this table does not know (Heroku Connect's list is possibly incomplete).
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


#: Health of every documented connection state. Sources: Dev Center's connection-states
#: reference (IDLE through HEROKU_UNAUTH), the CLI plugin (NEW, NEED_AUTHENTICATION), the django
#: client (BUSY, INACTIVE_ORG) and Heroku Help (the iced demo connection).
CONNECTION_HEALTH: Final[dict[ConnectionState, HealthClass]] = {
    # Add-on created; no database or schema yet.
    ConnectionState.NEW: HealthClass.SETUP_NEEDED,
    # Database set; Salesforce OAuth not done yet.
    ConnectionState.NEED_AUTHENTICATION: HealthClass.SETUP_NEEDED,
    ConnectionState.IDLE: HealthClass.HEALTHY,
    # Writing the trigger log to Salesforce.
    ConnectionState.POLLING_DB_CHANGES: HealthClass.HEALTHY,
    ConnectionState.BUSY: HealthClass.HEALTHY,
    # Applying an imported configuration: healthy (it ends by itself, and the public package's
    # OK list has it, so a probe does not fail during every import).
    ConnectionState.IMPORT_CONFIGURATION: HealthClass.HEALTHY,
    # Paused by a user or for inactivity: changes are still captured, nothing syncs.
    ConnectionState.PAUSED: HealthClass.WARNING,
    # Re-enabling after a re-authorization or a manual recover.
    ConnectionState.RECOVERY: HealthClass.TRANSIENT,
    ConnectionState.SYSTEM_ERROR: HealthClass.UNHEALTHY,
    ConnectionState.DB_UNAVAILABLE: HealthClass.UNHEALTHY,
    # Licensed row count exceeded.
    ConnectionState.TOO_MANY_ROWS: HealthClass.UNHEALTHY,
    # Salesforce authorization expired.
    ConnectionState.UNAUTHORIZED: HealthClass.UNHEALTHY,
    ConnectionState.HEROKU_UNAUTH: HealthClass.UNHEALTHY,
    ConnectionState.INACTIVE_ORG: HealthClass.UNHEALTHY,
    # A demo connection put on ice after long inactivity (needs a support ticket).
    ConnectionState.SYSTEM_ON_ICE: HealthClass.UNHEALTHY,
    ConnectionState.ICED: HealthClass.UNHEALTHY,
}

#: Health of every mapping state, as the django client classifies them: OK states are healthy,
#: its "temporary errors" (a table being created or altered, a recovery) transient, its
#: "permanent errors" unhealthy. Mapping states describe reads (Salesforce to Postgres) only.
MAPPING_HEALTH: Final[dict[MappingState, HealthClass]] = {
    MappingState.DATA_SYNCED: HealthClass.HEALTHY,
    MappingState.INITIAL: HealthClass.TRANSIENT,
    MappingState.RESYNC: HealthClass.HEALTHY,
    MappingState.RELOAD_TABLE: HealthClass.HEALTHY,
    MappingState.SCHEMA_CHANGED: HealthClass.TRANSIENT,
    MappingState.POLLING_SF_CHANGES: HealthClass.HEALTHY,
    MappingState.POLLING_SF_BULK: HealthClass.HEALTHY,
    MappingState.POLLING_SF_FOR_DELETES: HealthClass.HEALTHY,
    MappingState.WAIT_BULK_LOAD: HealthClass.HEALTHY,
    MappingState.LOADING_BULK_JOB: HealthClass.HEALTHY,
    MappingState.RESOLVE_EXTERNAL_IDS: HealthClass.HEALTHY,
    MappingState.BULK_LOAD_ERROR: HealthClass.UNHEALTHY,
    MappingState.WAIT_BULK_UPDATE: HealthClass.HEALTHY,
    MappingState.APPLYING_BULK_UPDATE: HealthClass.HEALTHY,
    MappingState.POLL_EXTERNAL_IDS: HealthClass.HEALTHY,
    MappingState.RECOVERY: HealthClass.TRANSIENT,
    MappingState.ABORTED: HealthClass.HEALTHY,
    MappingState.SYSTEM_ERROR: HealthClass.UNHEALTHY,
    MappingState.DB_UNAVAILABLE: HealthClass.UNHEALTHY,
    MappingState.BAD_CONFIG: HealthClass.UNHEALTHY,
    MappingState.SYNC_REMOVED: HealthClass.UNHEALTHY,
    MappingState.INACTIVE_ORG: HealthClass.UNHEALTHY,
    MappingState.UNAUTHORIZED: HealthClass.UNHEALTHY,
}


def connection_health(state: str) -> HealthClass:
    """The health class of a connection state; ``UNKNOWN`` for a state not in the table."""
    try:
        return CONNECTION_HEALTH.get(ConnectionState(state), HealthClass.UNKNOWN)
    except ValueError:
        return HealthClass.UNKNOWN


def mapping_health(state: str) -> HealthClass:
    """The health class of a mapping state; ``UNKNOWN`` for a state not in the table."""
    try:
        return MAPPING_HEALTH.get(MappingState(state), HealthClass.UNKNOWN)
    except ValueError:
        return HealthClass.UNKNOWN


def _mapping_states(health: HealthClass) -> tuple[MappingState, ...]:
    return tuple(state for state, cls in MAPPING_HEALTH.items() if cls is health)


# The public package's three lists, derived from the table (same members, same order).
OK_MAPPING_STATES = _mapping_states(HealthClass.HEALTHY)
TEMPORARY_ERROR_MAPPING_STATES = _mapping_states(HealthClass.TRANSIENT)
ERROR_MAPPING_STATES = _mapping_states(HealthClass.UNHEALTHY)


class WriteAlgorithm(Enum):
    """How a connection writes captured changes back to Salesforce."""

    MERGE_WRITES = 1
    ORDERED_WRITES = 2


def write_algorithm_from_connection_info(info: Mapping[str, Any]) -> WriteAlgorithm:
    """``ORDERED_WRITES`` if the connection has the ``poll_db_no_merge`` feature, else merged."""
    features = info.get("features") or {}
    return (
        WriteAlgorithm.ORDERED_WRITES
        if features.get("poll_db_no_merge")
        else WriteAlgorithm.MERGE_WRITES
    )
