"""The Salesforce write errors the simulated org raises (heroku-connect.md §5).

Salesforce answers a rejected write with ``{statusCode, message, fields}``. Heroku Connect puts
the message **text** (no status-code prefix) into ``_trigger_log.sf_message``; the simulator keeps
the code apart (:attr:`SalesforceError.status_code`) so tests and the engine can tell kinds apart.

One factory function per error kind builds the exact message template, so that the dashboard's
error grouping sees the same texts as in production. Templates of rows 2, 3, 5, 6, 12, 13 and 19
of §5 are confirmed; the others use typical Salesforce wording.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

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


def _text(value: object) -> str:
    return "" if value is None else str(value)


def custom_validation(message: str, field: str | None = None) -> SalesforceError:
    """A validation rule fired: the message is the rule's own text."""
    return SalesforceError(
        StatusCode.FIELD_CUSTOM_VALIDATION_EXCEPTION, message, [field] if field else []
    )


def required_fields_missing(fields: list[str]) -> SalesforceError:
    return SalesforceError(
        StatusCode.REQUIRED_FIELD_MISSING,
        f"Required fields are missing: [{', '.join(fields)}]",
        fields,
    )


def duplicate_value(field: str, existing_id: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.DUPLICATE_VALUE,
        f"duplicate value found: {field} duplicates value on record with id: {existing_id}",
        [field],
    )


def entity_is_deleted() -> SalesforceError:
    return SalesforceError(StatusCode.ENTITY_IS_DELETED, "entity is deleted")


def cannot_reparent(field: str = "OwnerId") -> SalesforceError:
    return SalesforceError(
        StatusCode.INACTIVE_OWNER_OR_USER, "owner is inactive, cannot reparent record", [field]
    )


def invalid_field(field: str, object_name: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_FIELD,
        f"No such column '{field}' on entity '{object_name}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name.",
        [field],
    )


def foreign_key_not_found(value: object, external_field: str, object_name: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_FIELD,
        f"Foreign key external ID: {_text(value)} not found for field {external_field} "
        f"in entity {object_name}",
        [external_field],
    )


def invalid_field_for_insert_update(fields: list[str]) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_FIELD_FOR_INSERT_UPDATE,
        f"Unable to create/update fields: {', '.join(fields)}. Please check the security "
        "settings of this field and verify that it is read/write for your profile or "
        "permission set.",
        fields,
    )


def invalid_cross_reference(field: str | None = None) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_CROSS_REFERENCE_KEY,
        "invalid cross reference id",
        [field] if field else [],
    )


def malformed_id(label: str, value: object, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.MALFORMED_ID, f"{label}: id value of incorrect type: {_text(value)}", [field]
    )


def string_too_long(label: str, value: object, max_length: int, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.STRING_TOO_LONG,
        f"{label}: data value too large: {_text(value)} (max length={max_length})",
        [field],
    )


def restricted_picklist(label: str, value: object, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
        f"{label}: bad value for restricted picklist field: {_text(value)}",
        [field],
    )


def invalid_email(label: str, value: object, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_EMAIL_ADDRESS, f"{label}: invalid email address: {_text(value)}", [field]
    )


def number_out_of_range(label: str, value: object, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.NUMBER_OUTSIDE_VALID_RANGE,
        f"{label}: value outside of valid range on numeric field: {_text(value)}",
        [field],
    )


def invalid_type(label: str, value: object, field: str) -> SalesforceError:
    return SalesforceError(
        StatusCode.INVALID_TYPE_ON_FIELD_IN_RECORD,
        f"{label}: value not of required type: {_text(value)}",
        [field],
    )


def unable_to_lock_row(record_ids: list[str]) -> SalesforceError:
    """The transient lock error (``N records: <ids>``, ids comma-separated)."""
    return SalesforceError(
        StatusCode.UNABLE_TO_LOCK_ROW,
        f"unable to obtain exclusive access to this record or {len(record_ids)} records: "
        + ",".join(record_ids),
    )
