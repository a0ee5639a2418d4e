"""Connection states (docs/heroku-connect/states.md §1) and the health class of every state.

Both state lists come from the library (``heroku_connect.states``); the health classes are
the dashboard's. Unknown states are classified ``unknown`` explicitly, never healthy.
"""

from __future__ import annotations

from heroku_connect.states import (
    ERROR_MAPPING_STATES,
    OK_MAPPING_STATES,
    TEMPORARY_ERROR_MAPPING_STATES,
    ConnectionState,
)

from .models import HealthClass

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
