"""Factories of the project suite: rows are created like any model's, ids left to the database."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.heroku_connect.project.shop.models import Contact

_names = itertools.count(1)


def contact(**fields: Any) -> Contact:
    fields.setdefault("last_name", f"Doe {next(_names)}")
    return Contact.objects.create(**fields)


def _log_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "table_name": "contact",
        "record_id": 1,
        "action": "UPDATE",
        "state": "FAILED",
        "values": '"lastname"=>"Doe"',
        "sf_message": "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record",
        "created_at": timezone.now(),
        **fields,
    }


def trigger_log(**fields: Any) -> TriggerLog:
    return TriggerLog.objects.create(**_log_fields(fields))


def archived_trigger_log(**fields: Any) -> TriggerLogArchive:
    return TriggerLogArchive.objects.create(**_log_fields(fields))
