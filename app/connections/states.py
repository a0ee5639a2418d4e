"""Connection states (heroku-connect.md §2.1) and the health class of every state.

Mapping states come from the library (``heroku_connect.states``); the library's connection
list is the django client's short one, so the full Dev Center list lives here. Unknown
states are classified ``unknown`` explicitly, never healthy.
"""

from __future__ import annotations

from enum import StrEnum

from heroku_connect.states import (
    ERROR_MAPPING_STATES,
    OK_MAPPING_STATES,
    TEMPORARY_ERROR_MAPPING_STATES,
)

from .models import HealthClass


class ConnectionState(StrEnum):
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


CONNECTION_HEALTH: dict[ConnectionState, HealthClass] = {
    ConnectionState.NEW: HealthClass.SETUP_NEEDED,
    ConnectionState.NEED_AUTHENTICATION: HealthClass.SETUP_NEEDED,
    ConnectionState.IDLE: HealthClass.HEALTHY,
    ConnectionState.POLLING_DB_CHANGES: HealthClass.HEALTHY,
    ConnectionState.BUSY: HealthClass.HEALTHY,
    ConnectionState.IMPORT_CONFIGURATION: HealthClass.TRANSIENT,
    ConnectionState.PAUSED: HealthClass.WARNING,
    ConnectionState.RECOVERY: HealthClass.TRANSIENT,
    ConnectionState.SYSTEM_ERROR: HealthClass.UNHEALTHY,
    ConnectionState.DB_UNAVAILABLE: HealthClass.UNHEALTHY,
    ConnectionState.TOO_MANY_ROWS: HealthClass.UNHEALTHY,
    ConnectionState.UNAUTHORIZED: HealthClass.UNHEALTHY,
    ConnectionState.HEROKU_UNAUTH: HealthClass.UNHEALTHY,
    ConnectionState.INACTIVE_ORG: HealthClass.UNHEALTHY,
    ConnectionState.SYSTEM_ON_ICE: HealthClass.UNHEALTHY,
    ConnectionState.ICED: HealthClass.UNHEALTHY,
}

_MAPPING_HEALTH: dict[str, HealthClass] = {
    **{s.value: HealthClass.HEALTHY for s in OK_MAPPING_STATES},
    **{s.value: HealthClass.TRANSIENT for s in TEMPORARY_ERROR_MAPPING_STATES},
    **{s.value: HealthClass.UNHEALTHY for s in ERROR_MAPPING_STATES},
}


def connection_health(state: str) -> HealthClass:
    """The health class of a connection state; ``unknown`` for states not in the list."""
    try:
        return CONNECTION_HEALTH[ConnectionState(state)]
    except ValueError:
        return HealthClass.UNKNOWN


def mapping_health(state: str) -> HealthClass:
    """The django client's classification (OK / temporary / permanent error), else unknown."""
    return _MAPPING_HEALTH.get(state, HealthClass.UNKNOWN)
