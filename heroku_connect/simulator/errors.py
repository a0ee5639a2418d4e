"""The Salesforce write errors the simulated org raises (docs/heroku-connect/errors.md).

Salesforce answers a rejected write with ``{statusCode, message, fields}``. Heroku Connect puts
the message **text** (no status-code prefix) into ``_trigger_log.sf_message``; the simulator keeps
the code apart (:attr:`SalesforceError.status_code`) so tests and the engine can tell kinds apart.

The catalogue (status code and message template per kind of error) is data:
``data/errors.json``. One factory function per kind fills its template, so that the dashboard's
error grouping sees the same texts as in production. Which templates are confirmed and which use
Salesforce's usual wording: docs/heroku-connect/errors.md §2.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from heroku_connect.simulator.data import load_json

__all__ = (
    "SalesforceError",
    "StatusCode",
    "cannot_reparent",
    "custom_validation",
    "duplicate_value",
    "entity_is_deleted",
    "foreign_key_not_found",
    "invalid_cross_reference",
    "invalid_email",
    "invalid_field",
    "invalid_field_for_insert_update",
    "invalid_type",
    "malformed_id",
    "number_out_of_range",
    "required_fields_missing",
    "restricted_picklist",
    "string_too_long",
    "unable_to_lock_row",
)


class StatusCode(StrEnum):
    """Salesforce partner-API ``StatusCode`` values the simulator produces."""

    FIELD_CUSTOM_VALIDATION_EXCEPTION = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
    DUPLICATE_VALUE = "DUPLICATE_VALUE"
    ENTITY_IS_DELETED = "ENTITY_IS_DELETED"
    INACTIVE_OWNER_OR_USER = "INACTIVE_OWNER_OR_USER"
    INVALID_FIELD = "INVALID_FIELD"
    INVALID_FIELD_FOR_INSERT_UPDATE = "INVALID_FIELD_FOR_INSERT_UPDATE"
    INVALID_CROSS_REFERENCE_KEY = "INVALID_CROSS_REFERENCE_KEY"
    MALFORMED_ID = "MALFORMED_ID"
    STRING_TOO_LONG = "STRING_TOO_LONG"
    INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    INVALID_EMAIL_ADDRESS = "INVALID_EMAIL_ADDRESS"
    NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"
    INVALID_TYPE_ON_FIELD_IN_RECORD = "INVALID_TYPE_ON_FIELD_IN_RECORD"
    UNABLE_TO_LOCK_ROW = "UNABLE_TO_LOCK_ROW"


class SalesforceError(Exception):
    """A write Salesforce rejected. ``str(exc)`` is the message text alone."""

    def __init__(self, status_code: str, message: str, fields: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.status_code = str(status_code)
        self.message = message
        self.fields = list(fields)

    def __repr__(self) -> str:
        return f"SalesforceError({self.status_code}: {self.message!r})"

    def as_json(self) -> dict[str, object]:
        """Salesforce's own error shape."""
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}

    @property
    def transient(self) -> bool:
        """True for errors that go away on a retry without fixing anything."""
        return self.status_code == StatusCode.UNABLE_TO_LOCK_ROW


#: kind -> (status code, message template with ``{name}`` placeholders)
CATALOGUE: dict[str, tuple[StatusCode, str]] = {
    kind: (StatusCode(entry["status_code"]), entry["message"])
    for kind, entry in load_json("errors.json").items()
}


def _error(kind: str, fields: Iterable[str] = (), /, **values: object) -> SalesforceError:
    """The error of ``kind`` about ``fields``, its template filled from ``values``."""
    status_code, template = CATALOGUE[kind]
    return SalesforceError(status_code, template.format(**values), fields)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def custom_validation(message: str, field: str | None = None) -> SalesforceError:
    """A validation rule fired: the message is the rule's own text."""
    return _error("custom_validation", [field] if field else [], message=message)


def required_fields_missing(fields: list[str]) -> SalesforceError:
    return _error("required_fields_missing", fields, fields=", ".join(fields))


def duplicate_value(field: str, existing_id: str) -> SalesforceError:
    return _error("duplicate_value", [field], field=field, existing_id=existing_id)


def entity_is_deleted() -> SalesforceError:
    return _error("entity_is_deleted")


def cannot_reparent(field: str = "OwnerId") -> SalesforceError:
    return _error("cannot_reparent", [field])


def invalid_field(field: str, object_name: str) -> SalesforceError:
    return _error("invalid_field", [field], field=field, object_name=object_name)


def foreign_key_not_found(value: object, external_field: str, object_name: str) -> SalesforceError:
    return _error(
        "foreign_key_not_found",
        [external_field],
        value=_text(value),
        external_field=external_field,
        object_name=object_name,
    )


def invalid_field_for_insert_update(fields: list[str]) -> SalesforceError:
    return _error("invalid_field_for_insert_update", fields, fields=", ".join(fields))


def invalid_cross_reference(field: str | None = None) -> SalesforceError:
    return _error("invalid_cross_reference", [field] if field else [])


def malformed_id(label: str, value: object, field: str) -> SalesforceError:
    return _error("malformed_id", [field], label=label, value=_text(value))


def string_too_long(label: str, value: object, max_length: int, field: str) -> SalesforceError:
    return _error(
        "string_too_long", [field], label=label, value=_text(value), max_length=max_length
    )


def restricted_picklist(label: str, value: object, field: str) -> SalesforceError:
    return _error("restricted_picklist", [field], label=label, value=_text(value))


def invalid_email(label: str, value: object, field: str) -> SalesforceError:
    return _error("invalid_email", [field], label=label, value=_text(value))


def number_out_of_range(label: str, value: object, field: str) -> SalesforceError:
    return _error("number_out_of_range", [field], label=label, value=_text(value))


def invalid_type(label: str, value: object, field: str) -> SalesforceError:
    return _error("invalid_type", [field], label=label, value=_text(value))


def unable_to_lock_row(record_ids: list[str]) -> SalesforceError:
    """The transient lock error (``N records: <ids>``, ids comma-separated)."""
    return _error("unable_to_lock_row", count=len(record_ids), ids=",".join(record_ids))
