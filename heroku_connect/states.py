"""Heroku Connect connection and mapping states, write algorithms and API constants."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum, unique
from typing import Any

__all__ = (
    "ERROR_MAPPING_STATES",
    "ConnectionState",
    "HEROKU_REQUEST_TIMEOUT",
    "OK_MAPPING_STATES",
    "TEMPORARY_ERROR_MAPPING_STATES",
    "ConnectionStates",
    "MappingState",
    "WriteAlgorithm",
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


OK_MAPPING_STATES = (
    MappingState.DATA_SYNCED,
    MappingState.RESYNC,
    MappingState.RELOAD_TABLE,
    MappingState.POLLING_SF_CHANGES,
    MappingState.POLLING_SF_BULK,
    MappingState.POLLING_SF_FOR_DELETES,
    MappingState.WAIT_BULK_LOAD,
    MappingState.LOADING_BULK_JOB,
    MappingState.RESOLVE_EXTERNAL_IDS,
    MappingState.WAIT_BULK_UPDATE,
    MappingState.APPLYING_BULK_UPDATE,
    MappingState.POLL_EXTERNAL_IDS,
    MappingState.ABORTED,
)

TEMPORARY_ERROR_MAPPING_STATES = (
    MappingState.INITIAL,
    MappingState.SCHEMA_CHANGED,
    MappingState.RECOVERY,
)

ERROR_MAPPING_STATES = (
    MappingState.BULK_LOAD_ERROR,
    MappingState.SYSTEM_ERROR,
    MappingState.DB_UNAVAILABLE,
    MappingState.BAD_CONFIG,
    MappingState.SYNC_REMOVED,
    MappingState.INACTIVE_ORG,
    MappingState.UNAUTHORIZED,
)


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
