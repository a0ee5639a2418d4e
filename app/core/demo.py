"""The demo's "previously deployed" Heroku Connect mapping: the code's mapping, drifted.

``make demo`` starts the simulator with this document already imported, so the mapping diff has
something real to show (and an import to run) from the first minute. The drift only adds to the
code's mapping (an extra field, an extra index, an extra object, other polling settings): the
mapped tables keep every column the example models read, so every page works before the import.
"""

from __future__ import annotations

import copy
from typing import Any

#: A read-only object deployed in Heroku Connect that the code's models do not map.
EXTRA_OBJECT = {
    "object_name": "Case",
    "config": {
        "access": "read_only",
        "sf_notify_enabled": False,
        "sf_polling_seconds": 600,
        "sf_max_daily_api_calls": 30000,
        "fields": {
            "Id": {},
            "IsDeleted": {},
            "SystemModstamp": {},
            "CaseNumber": {},
            "Subject": {},
            "Status": {},
            "AccountId": {},
        },
        "indexes": {"Id": {"unique": True}, "SystemModstamp": {"unique": False}},
    },
}


def drifted_demo_mapping(code_mapping: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``code_mapping`` as an operator might have deployed it weeks ago.

    * ``Contact`` polls every 20 minutes with accelerated polling on, and has an index on
      ``Email`` that the code does not declare;
    * ``Account`` also syncs ``Rating``, a field the code does not map;
    * ``Case`` is mapped in Heroku Connect but not in the code.
    """
    deployed = copy.deepcopy(code_mapping)
    mappings = {entry["object_name"]: entry for entry in deployed["mappings"]}
    if contact := mappings.get("Contact"):
        contact["config"]["sf_polling_seconds"] = 1200
        contact["config"]["sf_notify_enabled"] = True
        contact["config"]["indexes"]["Email"] = {"unique": False}
    if account := mappings.get("Account"):
        account["config"]["fields"]["Rating"] = {}
    if "Case" not in mappings:
        deployed["mappings"].append(copy.deepcopy(EXTRA_OBJECT))
    return deployed
