"""The one table of connection and mapping states and their health class."""

from __future__ import annotations

import pytest

from heroku_connect.states import (
    CONNECTION_HEALTH,
    ERROR_MAPPING_STATES,
    MAPPING_HEALTH,
    OK_MAPPING_STATES,
    TEMPORARY_ERROR_MAPPING_STATES,
    ConnectionState,
    ConnectionStates,
    HealthClass,
    MappingState,
    connection_health,
    mapping_health,
)


def test_states__every_state_has_a_health_class():
    """No documented connection or mapping state is missing from the table."""
    assert set(CONNECTION_HEALTH) == set(ConnectionState)
    assert set(MAPPING_HEALTH) == set(MappingState)


@pytest.mark.parametrize(
    ("state", "health"),
    [
        ("IDLE", "healthy"),
        ("POLLING_DB_CHANGES", "healthy"),
        ("BUSY", "healthy"),
        ("IMPORT_CONFIGURATION", "healthy"),
        ("PAUSED", "warning"),
        ("RECOVERY", "transient"),
        ("NEW", "setup_needed"),
        ("NEED_AUTHENTICATION", "setup_needed"),
        ("SYSTEM_ERROR", "unhealthy"),
        ("DB_UNAVAILABLE", "unhealthy"),
        ("TOO_MANY_ROWS", "unhealthy"),
        ("UNAUTHORIZED", "unhealthy"),
        ("HEROKU_UNAUTH", "unhealthy"),
        ("INACTIVE_ORG", "unhealthy"),
        ("SYSTEM_ON_ICE", "unhealthy"),
        ("ICED", "unhealthy"),
        ("SOMETHING_NEW", "unknown"),
        ("", "unknown"),
    ],
)
def test_connection_health__documented_classes(state, health):
    """Each connection state gets the class of the documented facts; unknown is never healthy."""
    assert connection_health(state) == health


@pytest.mark.parametrize(
    ("state", "health"),
    [
        ("DATA_SYNCED", "healthy"),
        ("RELOAD_TABLE", "healthy"),
        ("ABORTED", "healthy"),
        ("INITIAL", "transient"),
        ("SCHEMA_CHANGED", "transient"),
        ("RECOVERY", "transient"),
        ("BAD_CONFIG", "unhealthy"),
        ("UNAUTHORIZED", "unhealthy"),
        ("SYNCED", "unknown"),
    ],
)
def test_mapping_health__documented_classes(state, health):
    """Mapping states follow the django client: OK, temporary error, permanent error."""
    assert mapping_health(state) == health


def test_states__public_lists_are_derived_from_the_table():
    """The public package's three mapping lists keep their members and order."""
    assert [s.value for s in OK_MAPPING_STATES] == [
        "DATA_SYNCED", "RESYNC", "RELOAD_TABLE", "POLLING_SF_CHANGES", "POLLING_SF_BULK",
        "POLLING_SF_FOR_DELETES", "WAIT_BULK_LOAD", "LOADING_BULK_JOB", "RESOLVE_EXTERNAL_IDS",
        "WAIT_BULK_UPDATE", "APPLYING_BULK_UPDATE", "POLL_EXTERNAL_IDS", "ABORTED",
    ]  # fmt: skip
    assert [s.value for s in TEMPORARY_ERROR_MAPPING_STATES] == [
        "INITIAL", "SCHEMA_CHANGED", "RECOVERY",
    ]  # fmt: skip
    assert [s.value for s in ERROR_MAPPING_STATES] == [
        "BULK_LOAD_ERROR", "SYSTEM_ERROR", "DB_UNAVAILABLE", "BAD_CONFIG", "SYNC_REMOVED",
        "INACTIVE_ORG", "UNAUTHORIZED",
    ]  # fmt: skip


def test_states__public_ok_connection_states_are_the_healthy_ones():
    """ConnectionStates.OK_STATES (public order) are exactly the healthy connection states."""
    healthy = {
        state for state, health in CONNECTION_HEALTH.items() if health is HealthClass.HEALTHY
    }
    assert set(ConnectionStates.OK_STATES) == healthy
    assert ConnectionStates.OK_STATES == (
        "IDLE",
        "POLLING_DB_CHANGES",
        "IMPORT_CONFIGURATION",
        "BUSY",
    )


def test_health_class__labels():
    """Labels for pages and choices."""
    assert [(h.value, h.label) for h in HealthClass] == [
        ("healthy", "Healthy"),
        ("transient", "Transient"),
        ("warning", "Warning"),
        ("setup_needed", "Setup needed"),
        ("unhealthy", "Unhealthy"),
        ("unknown", "Unknown"),
    ]
