"""The JSON objects of the API: connections, mappings and discovery items
(docs/heroku-connect/api.md §4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg

from heroku_connect.simulator.handlers import queries
from heroku_connect.simulator.handlers.common import iso
from heroku_connect.simulator.state import Connection, Mapping, MappingState, utcnow
from heroku_connect.states import HealthClass, mapping_health

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "mapping_ok",
    "connection_json",
    "discovery_item",
    "mapping_json",
    "regions_and_cells",
)

REGION = "us"
CELL = "virginia-sim"


def mapping_ok(mapping: Mapping) -> bool:
    """Not in an error: healthy or in progress in the state table (drives
    ``mappings_summary_state`` and diagnose's ``MAPPING_STATE_OK``)."""
    return mapping_health(mapping.state) in (HealthClass.HEALTHY, HealthClass.TRANSIENT)


def mapping_json(
    server: ApiServer, mapping: Mapping, counts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A mapping object as the API returns it (``counts`` from :func:`queries.counts`)."""
    api = server.api_url
    config = mapping.config.as_export()
    config["revision"] = mapping.config.revision
    config["applied_at"] = iso(mapping.config.applied_at)
    if "upsert_field" not in config:
        config["upsert_field"] = None
    return {
        "id": mapping.id,
        "_id": mapping.internal_id,
        "object_name": mapping.object_name,
        "state": mapping.state.value,
        "state_description": mapping.state_description,
        "config": config,
        "access": mapping.config.access,
        "sf_notify_enabled": mapping.config.sf_notify_enabled,
        "sf_polling_seconds": mapping.config.sf_polling_seconds,
        "upsert_field": mapping.config.upsert_field,
        "detail_url": f"{api}/mappings/{mapping.id}",
        "errors_url": f"{api}/mappings/{mapping.id}/errors",
        "schema_url": f"{api}/connections/{server.state.connection_id}/schemas/"
        f"{mapping.object_name}",
        "created_at": iso(mapping.created_at),
        "updated_at": iso(mapping.updated_at),
        "connection": {"id": server.state.connection_id},
        "counts": counts or {"db": None, "sf": None, "pending": None, "errors": None},
        "actively_writing": mapping.actively_writing,
        "sync_flags": {},
        "times": {key: iso(value) for key, value in mapping.times.items()},
        "has_hc_columns": True,
        "db_count_date": iso(utcnow()),
        "salesforce_count_date": iso(utcnow()),
        "is_polling": mapping.state == MappingState.POLLING_SF_CHANGES,
    }


def connection_json(server: ApiServer, connection: Connection, *, deep: bool) -> dict[str, Any]:
    """The connection object; ``deep`` adds the mappings with their counts."""
    api = server.api_url
    detail_url = f"{api}/connections/{connection.id}"
    data: dict[str, Any] = {
        "id": connection.id,
        "_id": connection.internal_id,
        "name": connection.name,
        "internal_name": connection.resource_name,
        "resource_name": connection.resource_name,
        "addon_id": connection.addon_id,
        "app_name": connection.app_name,
        "app_id": connection.app_id,
        "team_name": None,
        "enterprise_account_name": None,
        "schema_name": connection.schema_name,
        "db_key": connection.db_key,
        "database": _database_info(server),
        "organization_id": connection.organization_id,
        "state": connection.state.value,
        "mappings_summary_state": _summary_state(connection),
        "detail_url": detail_url,
        "notifications_url": f"{detail_url}/notifications",
        "region_url": server.base_url,
        "tags": [],
        "api_version": connection.api_version,
        "sf_info": {
            "username": f"integration@{connection.app_name}.example.com",
            "organization_id": connection.organization_id,
            "environment": "production",
            "domain": None,
            "api_version": connection.api_version,
        },
        "created_at": iso(connection.created_at),
        "auth_updated": iso(connection.created_at),
        "plan": connection.plan,
        "free_edition": connection.plan == "demo",
        "dogwood": False,
        "user_info": {
            "profile_perms": {
                "PermissionsModifyAllData": True,
                "PermissionsViewAllData": True,
                "PermissionsViewAllUsers": True,
            }
        },
        "metrics": {"last_write_activity_time": iso(connection.last_write_activity_time)},
        "logplex_log_enabled": connection.logplex_log_enabled,
        "deletable": True,
        "large_query_threshold": 10000,
        "bulk_page_size": 150000,
        "soap_batch_size": 200,
        "features": dict(connection.features),
        "odata": None,
        "sf_instance": "na1",
        "sf_region": "NA",
    }
    if deep:
        counts = queries.counts(server, list(connection.mappings.values()))
        data["mappings"] = [
            mapping_json(server, m, counts.get(m.id)) for m in connection.mappings.values()
        ]
    return data


def discovery_item(server: ApiServer, connection: Connection) -> dict[str, Any]:
    """A connection as listed by discovery: the full object plus the discovery fields."""
    item = connection_json(server, connection, deep=False)
    item.update(
        {
            "display_name": connection.name,
            "addon_type": "Sync",
            "region": REGION,
            "region_url": server.base_url,
            "region_flag": "united-states",
            "region_label": "United States (simulator)",
            "cell": CELL,
            "cell_label": "Simulator",
        }
    )
    return item


def regions_and_cells(server: ApiServer) -> dict[str, Any]:
    """The ``regions`` and ``cells`` maps of discovery answers."""
    return {
        "regions": {REGION: {"flag": "united-states", "label": "United States (simulator)"}},
        "cells": {CELL: {"url": server.base_url, "flag": "united-states", "label": "Simulator"}},
    }


def _summary_state(connection: Connection) -> str:
    bad = [m for m in connection.mappings.values() if not mapping_ok(m)]
    return "OK" if not bad else "ERROR"


def _database_info(server: ApiServer) -> dict[str, Any]:
    info = psycopg.conninfo.conninfo_to_dict(server.dsn)
    port = info.get("port")
    return {
        "host": info.get("host") or "localhost",
        "database": info.get("dbname"),
        "port": int(port) if port and str(port).isdigit() else 5432,
    }
