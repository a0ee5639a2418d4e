"""Small helpers shared by the simulator's API and import tests."""

from __future__ import annotations

import copy
from typing import Any

import requests

CONTACT_MAPPING: dict[str, Any] = {
    "object_name": "Contact",
    "config": {
        "access": "read_write",
        "sf_notify_enabled": False,
        "sf_polling_seconds": 600,
        "sf_max_daily_api_calls": 30000,
        "upsert_field": "External_ID__c",
        "fields": {
            "Id": {},
            "IsDeleted": {},
            "SystemModstamp": {},
            "FirstName": {},
            "LastName": {},
            "Email": {},
            "External_ID__c": {},
        },
        "indexes": {
            "Id": {"unique": True},
            "SystemModstamp": {"unique": False},
            "External_ID__c": {"unique": True},
        },
    },
}


def document(*mappings: dict[str, Any]) -> dict[str, Any]:
    """An import document with deep copies of ``mappings`` (default: the Contact mapping)."""
    return {"version": 1, "mappings": [copy.deepcopy(m) for m in mappings or [CONTACT_MAPPING]]}


def session(sim: Any, token: str | None = None) -> requests.Session:
    """A session sending the simulator's bearer token (or ``token``)."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token or sim.token}"
    return s


def connection_url(sim: Any, suffix: str = "") -> str:
    return f"{sim.api_url}/connections/{sim.connection_id}{suffix}"
