"""Payloads shaped like the Heroku Connect API's (docs/heroku-connect/api.md §4), and stored
rows."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from app.connections import services
from app.connections.models import Connection

DEFAULT_ID = "5b7e3b52-0000-4000-8000-000000000001"


def mapping_payload(
    object_name: str, state: str = "DATA_SYNCED", connection_id: str = DEFAULT_ID, **counts: int
) -> dict:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{connection_id}/{object_name}")),
        "object_name": object_name,
        "state": state,
        "config": {"access": "read_write", "fields": {"Id": {}}, "indexes": {}},
        "counts": {"db": 10, "sf": 10, "pending": 0, "errors": 0, **counts},
        "times": {"sf_poll": "2026-11-25 08:00:00+00:00", "db_write": None},
    }


def connection_payload(
    state: str = "IDLE", mappings: list[dict] | None = None, connection_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": connection_id or DEFAULT_ID,
        "name": "hcop-test",
        "app_name": "hcop-test",
        "schema_name": "salesforce",
        "state": state,
        "mappings": mappings if mappings is not None else [mapping_payload("Contact")],
    }


def stored_connection(
    state: str = "IDLE", n_mappings: int = 1, connection_id: str | None = None, at=None
) -> Connection:
    """A connection as the refresh task stores it, with ``n_mappings`` mappings."""
    payload = connection_payload(
        state,
        [
            mapping_payload(f"Object{i}__c", connection_id=connection_id or DEFAULT_ID)
            for i in range(n_mappings)
        ],
        connection_id=connection_id,
    )
    return services.store_connection(payload, at or timezone.now())
