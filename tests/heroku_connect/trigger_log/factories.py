"""Factories for trigger-log rows and connected records (real rows in the test database)."""

from __future__ import annotations

import itertools
from typing import Any

from django.db import connection
from django.utils import timezone

from app.salesforce.models import Account
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.schema import CONNECT_SESSION_SQL

_archive_ids = itertools.count(1_000_000)


def make_log(*, model: type = TriggerLog, **fields: Any):
    """A trigger-log row (FAILED UPDATE on ``account`` by default)."""
    defaults: dict[str, Any] = {
        "table_name": "account",
        "record_id": 1,
        "action": "UPDATE",
        "state": "FAILED",
        "created_at": timezone.now(),
        "values": '"name"=>"x"',
        "sf_message": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "txid": 1,
    }
    defaults.update(fields)
    if model is TriggerLogArchive and "id" not in defaults:
        defaults["id"] = next(_archive_ids)
    return model.objects.create(**defaults)


def make_account(**fields: Any) -> Account:
    """An ``account`` row written the way Heroku Connect writes (not captured)."""
    with connection.cursor() as cursor:
        cursor.execute(CONNECT_SESSION_SQL)
    try:
        return Account.objects.create(name=fields.pop("name", "Acme"), **fields)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET xmlbinary = 'base64'")


def states(model: type = TriggerLog) -> dict[int, str]:
    return dict(model.objects.values_list("id", "state"))
