"""How the simulated org checks a write, in Salesforce's order, raising its errors.

1. :func:`parse_values` resolves each key (field API name, column name or ``X__r__Ext__c``,
   case-insensitive), refuses fields that cannot be written and parses every value, text as in
   the trigger log or a Python value, to the field's type (:func:`parse`);
2. :func:`check_id` checks a record id given for an update;
3. :func:`validate` checks the changed values (createable/updateable, length, e-mail, restricted
   picklist, references), then required fields, uniqueness and the validation rules.

Each failure is the :class:`~heroku_connect.simulator.errors.SalesforceError` Salesforce would
answer. The functions read the records through the
:class:`~heroku_connect.simulator.store.RecordStore`; the caller holds the org's lock.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from heroku_connect.simulator import errors
from heroku_connect.simulator.describes import FieldDescribe, ObjectDescribe
from heroku_connect.simulator.ids import ID_RE
from heroku_connect.simulator.store import RecordStore

__all__ = ("check_id", "parse", "parse_values", "validate")

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_TEXT_TYPES = ("string", "textarea", "email", "phone", "url", "picklist")


def check_id(describe: ObjectDescribe, sfid: str) -> None:
    """``sfid`` must be a well-formed id of this object."""
    if not ID_RE.match(sfid):
        raise errors.malformed_id("Record ID", sfid, "Id")
    if not sfid.startswith(describe.key_prefix):
        raise errors.invalid_cross_reference("Id")


def parse_values(
    store: RecordStore, describe: ObjectDescribe, values: dict[str, Any]
) -> dict[str, Any]:
    """Resolve names, check writability and parse every value to its Python type."""
    parsed: dict[str, Any] = {}
    not_writable = []
    for key, raw in values.items():
        name = "Id" if key == "sfid" else key
        f = describe.field(name)
        if f is None:
            try:
                lookup, target, external = store.schema.relationship(describe.name, name)
            except KeyError:
                raise errors.invalid_field(key, describe.name) from None
            parent = None
            if raw not in (None, ""):
                parent = store.find(target.name, external.name, str(raw))
                if parent is None:
                    raise errors.foreign_key_not_found(raw, external.name, target.name)
            parsed[lookup.name] = parent["Id"] if parent else None
            continue
        if not f.writable:
            not_writable.append(f.name)
            continue
        parsed[f.name] = parse(f, raw)
    if not_writable:
        raise errors.invalid_field_for_insert_update(not_writable)
    return parsed


def parse(f: FieldDescribe, raw: Any) -> Any:
    """``raw`` as the Python value of ``f``'s type (``INVALID_TYPE_ON_FIELD_IN_RECORD`` if not)."""
    if raw is None or (raw == "" and f.type not in ("boolean",)):
        return None
    text = raw if isinstance(raw, str) else None
    try:
        if f.type == "boolean":
            if isinstance(raw, bool):
                return raw
            lowered = str(raw).strip().lower()
            if lowered in ("t", "true", "1", "y", "yes", "on"):
                return True
            if lowered in ("f", "false", "0", "n", "no", "off", ""):
                return False
            raise ValueError(raw)
        if f.type in ("double", "currency", "percent"):
            number = float(raw)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(raw)
            return _check_range(f, number, raw)
        if f.type == "int":
            number = Decimal(str(raw))
            if number != number.to_integral_value():
                raise ValueError(raw)
            return _check_range(f, int(number), raw)
        if f.type == "date":
            if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
                return raw
            return datetime.date.fromisoformat(str(raw)[:10])
        if f.type == "datetime":
            if isinstance(raw, datetime.datetime):
                value = raw
            else:
                value = datetime.datetime.fromisoformat(str(raw).replace(" ", "T", 1))
            if value.tzinfo is not None:
                value = value.astimezone(datetime.UTC).replace(tzinfo=None)
            return value
        if f.type == "time":
            if isinstance(raw, datetime.time):
                return raw
            return datetime.time.fromisoformat(str(raw))
    except (ValueError, TypeError, InvalidOperation):
        raise errors.invalid_type(f.label, raw, f.name) from None
    return str(text if text is not None else raw)


def _check_range(f: FieldDescribe, number: float | int, raw: Any) -> float | int:
    if f.precision is not None:
        integer_digits = f.precision - (f.scale or 0)
        if abs(number) >= 10**integer_digits:
            raise errors.number_out_of_range(f.label, raw, f.name)
    return number


def validate(
    store: RecordStore,
    describe: ObjectDescribe,
    record: dict[str, Any],
    changed: dict[str, Any],
    *,
    creating: bool,
    sfid: str | None,
) -> None:
    """Field-level checks on the changed values, then required fields, uniqueness, rules.

    ``record`` is the whole record as it would be after the write, ``changed`` the parsed
    values written, ``sfid`` the record's id (None when ``creating``).
    """
    for name, value in changed.items():
        f = describe.fields[name]
        if creating and not f.createable:
            raise errors.invalid_field_for_insert_update([name])
        if not creating and not f.updateable:
            raise errors.invalid_field_for_insert_update([name])
        if value is None:
            continue
        if f.type in _TEXT_TYPES and f.length and len(value) > f.length:
            raise errors.string_too_long(f.label, value, f.length, name)
        if f.type == "email" and not _EMAIL_RE.match(value):
            raise errors.invalid_email(f.label, value, name)
        if f.type == "picklist" and f.restricted_picklist and value not in f.picklist_values:
            raise errors.restricted_picklist(f.label, value, name)
        if f.type == "multipicklist" and len(value) > (f.length or 4099):
            raise errors.string_too_long(f.label, value, f.length or 4099, name)
        if f.type == "reference":
            _check_reference(store, f, value)
    missing = [
        f.name
        for f in describe.fields.values()
        if f.required and f.createable and record.get(f.name) in (None, "")
    ]
    if missing:
        raise errors.required_fields_missing(missing)
    for f in describe.fields.values():
        if not f.unique or f.name not in changed or changed[f.name] in (None, ""):
            continue
        other = store.find(describe.name, f.name, changed[f.name])
        if other is not None and other["Id"] != sfid:
            raise errors.duplicate_value(f.name, other["Id"])
    for rule in describe.validation_rules:
        if rule.fails(record):
            raise errors.custom_validation(rule.message, rule.error_field)


def _check_reference(store: RecordStore, f: FieldDescribe, value: str) -> None:
    if not ID_RE.match(value):
        raise errors.malformed_id(f.label, value, f.name)
    target = store.schema.describe(f.reference_to or "")
    record = store.records[target.name].get(value)
    if record is None or record.get("IsDeleted") or not value.startswith(target.key_prefix):
        raise errors.invalid_cross_reference(f.name)
    if f.name == "OwnerId" and not record.get("IsActive"):
        raise errors.cannot_reparent(f.name)
