"""Classify Salesforce write errors and group them by cause (docs/heroku-connect/errors.md).

Heroku Connect stores only the message text in ``sf_message``, not the status code, so the code
is inferred from the text. A failure's group is (table, status code, normalised message): the
message with record ids, Salesforce ids, emails, quoted values and numbers replaced by
placeholders. Normalisation is a list of regular expressions written in the subset that Python's
``re`` and PostgreSQL's regular expressions interpret the same way, so the failure list can
filter by group in SQL (:func:`normalise_sql`) exactly as Python groups (:func:`normalise`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = (
    "REMEDIATION_HINTS",
    "TRANSIENT_CODES",
    "UNKNOWN",
    "ErrorCause",
    "GroupRef",
    "InvalidGroupKey",
    "classify",
    "group_key",
    "normalise",
    "normalise_sql",
    "parse_group_key",
)

UNKNOWN = "UNKNOWN"
NO_MESSAGE = "(no message)"
MAX_NORMALISED_LENGTH = 300

_SFID = r"(?:[0-9][A-Za-z0-9]{2}|[A-Za-z][0-9][A-Za-z0-9]|[A-Za-z]{2}[0-9])[A-Za-z0-9]{12}"


@dataclass(frozen=True)
class Cut:
    """Replace everything after the first ``marker`` (up to the last ``until``, if given)."""

    marker: str
    placeholder: str
    until: str = ""

    def apply(self, text: str) -> str:
        start = text.find(self.marker)
        if start < 0:
            return text
        head = start + len(self.marker)
        if not self.until:
            return text[:head] + self.placeholder
        end = text.rfind(self.until)
        if end < head:
            return text
        return text[:head] + self.placeholder + text[end:]

    def sql(self) -> str:
        marker, until = _literal(self.marker), _literal(self.until)
        head = f"strpos(m, {marker}) + {len(self.marker)}"
        if not self.until:
            placeholder = _literal(self.placeholder)
            return (
                f"IF strpos(m, {marker}) > 0 THEN "
                f"m := left(m, {head} - 1) || {placeholder}; END IF;"
            )
        # Start of the last ``until``: length(m) - strpos(reverse(m), reverse(until)) - len + 2.
        end = f"length(m) - strpos(reverse(m), reverse({until})) - {len(self.until)} + 2"
        return (
            f"IF strpos(m, {marker}) > 0 AND strpos(m, {until}) > 0 AND {end} >= {head} THEN "
            f"m := left(m, {head} - 1) || {_literal(self.placeholder)} || substr(m, {end}); END IF;"
        )


@dataclass(frozen=True)
class Replace:
    """Replace every match of ``pattern`` when the text contains one of the ``guards``.

    The guards are literals every match contains (a cheap pre-check with the same result). The
    pattern must mean the same in Python (``re.DOTALL``) and in PostgreSQL's AREs.
    """

    pattern: str
    replacement: str
    guards: tuple[str, ...] = ("",)

    def apply(self, text: str) -> str:
        if any(guard in text for guard in self.guards):
            return _compiled(self.pattern).sub(self.replacement, text)
        return text

    def sql(self) -> str:
        guard = " OR ".join(f"strpos(m, {_literal(guard)}) > 0" for guard in self.guards)
        return (
            f"IF {guard} THEN m := regexp_replace(m, {_literal(self.pattern)}, "
            f"{_literal(self.replacement)}, 'g'); END IF;"
        )


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_DIGITS = tuple("0123456789")

#: Applied in order, identically in Python (:func:`normalise`) and in SQL (:func:`function_sql`).
NORMALISATION_RULES: tuple[Cut | Replace, ...] = (
    # Values at the end of the "<Label>: <template>: <value>" messages, and other free text.
    Cut("data value too large: ", "<value>", until=" (max length="),
    *(
        Cut(f"{template}: ", "<value>")
        for template in (
            "id value of incorrect type",
            "bad value for restricted picklist field",
            "invalid email address",
            "value outside of valid range on numeric field",
            "value not of required type",
        )
    ),
    Cut("Foreign key external ID: ", "<value>", until=" not found for field"),
    Cut(" caused by: ", "<detail>"),
    Cut("nable to obtain exclusive access to this record", ""),
    Replace(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", "<email>", ("@",)),
    Replace(r"'[^']*'", "'<value>'", ("'",)),
    Replace(r'"[^"]*"', '"<value>"', ('"',)),
    Replace(r"(?<![A-Za-z0-9_])" + _SFID + r"([A-Za-z0-9]{3})?(?![A-Za-z0-9_])", "<id>", _DIGITS),
    Replace(r"(?<![A-Za-z0-9_])-?[0-9]+([.,][0-9]+)*", "<n>", _DIGITS),
    Replace(r"[ \t\r\n]{2,}|[\t\r\n]", " ", ("  ", "\t", "\r", "\n")),
)

#: The PostgreSQL function computing :func:`normalise` (installed after ``migrate``).
SQL_FUNCTION = "dashboard_normalise_error"

#: Status codes recognised from the message text (first match wins), checked on the
#: normalised message so that every message of one group gets the same code.
_CODE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("REQUIRED_FIELD_MISSING", r"required fields are missing"),
    ("DUPLICATE_VALUE", r"duplicate value found"),
    ("DUPLICATES_DETECTED", r"use one of these records|duplicate rule"),
    ("ENTITY_IS_DELETED", r"\Aentity is deleted"),
    ("INACTIVE_OWNER_OR_USER", r"owner is inactive|cannot reparent record"),
    (
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
        r"insufficient access rights on cross-reference id",
    ),
    (
        "INSUFFICIENT_ACCESS_OR_READONLY",
        r"insufficient access rights on object id|permission denied",
    ),
    ("INVALID_FIELD_FOR_INSERT_UPDATE", r"unable to create/update fields"),
    ("INVALID_CROSS_REFERENCE_KEY", r"invalid cross reference id"),
    ("MALFORMED_ID", r"id value of incorrect type"),
    ("STRING_TOO_LONG", r"data value too large"),
    ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", r"bad value for restricted picklist field"),
    ("INVALID_EMAIL_ADDRESS", r"invalid email address"),
    ("NUMBER_OUTSIDE_VALID_RANGE", r"value outside of valid range on numeric field"),
    ("INVALID_TYPE_ON_FIELD_IN_RECORD", r"value not of required type"),
    (
        "FIELD_FILTER_VALIDATION_EXCEPTION",
        r"value does not exist or does not match filter criteria",
    ),
    ("FIELD_INTEGRITY_EXCEPTION", r"field integrity exception"),
    ("UNABLE_TO_LOCK_ROW", r"unable to obtain exclusive access"),
    ("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", r"execution of [a-z]+ caused by"),
    ("ENTITY_IS_LOCKED", r"entity is locked for editing"),
    ("STORAGE_LIMIT_EXCEEDED", r"storage limit exceeded"),
    ("REQUEST_LIMIT_EXCEEDED", r"totalrequests limit exceeded|request limit exceeded"),
    ("INVALID_SESSION_ID", r"session expired or invalid"),
    ("INVALID_FIELD", r"no such column|foreign key external id"),
)
_COMPILED_CODES = tuple(
    (code, re.compile(pattern, re.IGNORECASE)) for code, pattern in _CODE_PATTERNS
)

_FIX_DATA = "Fix the data in Postgres (the update is captured as a new write), then retry."

#: What an operator should do, per status code (docs/heroku-connect/errors.md §2).
REMEDIATION_HINTS: dict[str, str] = {
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "A validation rule rejected the data. Fix the data in "
    "Postgres (captured as a new write) or relax the rule, then retry.",
    "REQUIRED_FIELD_MISSING": "Map the required field and populate it, then retry.",
    "DUPLICATE_VALUE": "Unique or external-ID clash. If the record already exists in Salesforce "
    "(an insert re-sent after it was committed), ignore the failure; otherwise fix the value.",
    "DUPLICATES_DETECTED": "A Salesforce duplicate rule fired: adjust the rule or the data.",
    "ENTITY_IS_DELETED": "The record was deleted in Salesforce: delete the Postgres row, or "
    "re-insert it with sfid cleared; or ignore the failure.",
    "INACTIVE_OWNER_OR_USER": "OwnerId refers to an inactive user: reassign the owner or "
    "reactivate the user, then retry.",
    "CANNOT_REPARENT_RECORD": "OwnerId refers to an inactive user: reassign the owner or "
    "reactivate the user, then retry.",
    "INSUFFICIENT_ACCESS_OR_READONLY": "The integration user lacks write permission: grant the "
    "object and field permissions, then retry.",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "The field is not writeable (field-level security, "
    "formula or system field): fix field-level security or unmap the field.",
    "INVALID_CROSS_REFERENCE_KEY": "A lookup points to a missing or wrong-type id: fix the "
    "reference or use an external-ID relationship.",
    "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": "No access to the referenced record: fix "
    "sharing or permissions, then retry.",
    "MALFORMED_ID": "A 15/18-character id is malformed. " + _FIX_DATA,
    "STRING_TOO_LONG": "The value is longer than the Salesforce field: truncate it or widen the "
    "field, then retry.",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "The value is not in the restricted picklist: add "
    "the value in Salesforce or map the data, then retry.",
    "INVALID_EMAIL_ADDRESS": "Invalid email address. " + _FIX_DATA,
    "NUMBER_OUTSIDE_VALID_RANGE": "Numeric overflow. " + _FIX_DATA,
    "INVALID_TYPE_ON_FIELD_IN_RECORD": "The value has the wrong type. " + _FIX_DATA,
    "FIELD_FILTER_VALIDATION_EXCEPTION": "A lookup filter rejected the reference: fix the "
    "reference, then retry.",
    "FIELD_INTEGRITY_EXCEPTION": "Invalid combination of field values. " + _FIX_DATA,
    "UNABLE_TO_LOCK_ROW": "Transient (concurrent updates or sharing recalculation): retry the "
    "whole group; consider enabling auto-retry.",
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": "An Apex trigger or flow failed: fix the Apex code "
    "or the flow, then retry.",
    "ENTITY_IS_LOCKED": "The record is locked by an approval process: unlock it, then retry.",
    "STORAGE_LIMIT_EXCEEDED": "The Salesforce org's storage is full: free space, then retry.",
    "REQUEST_LIMIT_EXCEEDED": "The Salesforce API request limit was reached: wait or raise the "
    "limit, then retry.",
    "INVALID_SESSION_ID": "The authorization expired: re-authorize the connection, then retry.",
    "INVALID_FIELD": "The mapping names a field or external ID Salesforce does not know: fix the "
    "mapping or the referenced external ID value.",
}

#: Codes that usually disappear on a plain retry (candidates for auto-retry).
TRANSIENT_CODES = frozenset({"UNABLE_TO_LOCK_ROW"})

_KNOWN_CODES = frozenset(REMEDIATION_HINTS)
_CODE_PREFIX = re.compile(r"\A([A-Z][A-Z_]{3,})(?::|\Z|\s)")


@dataclass(frozen=True)
class ErrorCause:
    """A Salesforce status code (or ``UNKNOWN``) and the normalised message."""

    code: str
    normalised_message: str

    @property
    def hint(self) -> str:
        return REMEDIATION_HINTS.get(self.code, "")


def normalise(sf_message: str | None) -> str:
    """The message with ids, values and numbers replaced by placeholders (same as in SQL)."""
    text = sf_message or ""
    for rule in NORMALISATION_RULES:
        text = rule.apply(text)
    return text.strip(" ")[:MAX_NORMALISED_LENGTH] or NO_MESSAGE


_PLACEHOLDERS = re.compile(r"<(?:id|n|value|email|detail)>")


def required_fragments(normalised_message: str, *, limit: int = 2) -> list[str]:
    """Literal pieces every raw message of this normalised message contains (longest first).

    The rules only replace text by placeholders, collapse whitespace, strip and truncate, so
    each space- and placeholder-free piece of the normalised text appears verbatim in the raw
    message. The group filter checks them with a cheap ``LIKE`` before the costly function.
    """
    if normalised_message == NO_MESSAGE:
        return []
    pieces = {
        piece
        for word in normalised_message.split(" ")
        for piece in _PLACEHOLDERS.split(word)
        if len(piece) >= 3
    }
    return sorted(pieces, key=lambda piece: (-len(piece), piece))[:limit]


def normalise_sql(column: str) -> str:
    """SQL computing :func:`normalise` of ``column`` (a trusted SQL expression)."""
    return f"{SQL_FUNCTION}({column})"


def _like_contains(piece: str) -> str:
    escaped = piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def guarded_normalise_sql(column: str, normalised_message: str) -> tuple[str, list[str]]:
    """SQL that equals ``normalised_message`` exactly for the messages of that group.

    :func:`normalise_sql`, computed only when ``column`` contains the group's
    :func:`required_fragments` (a cheap ``LIKE``; NULL otherwise). Inside a ``CASE`` the
    pre-check does not change the planner's row estimate, so a page of a large group is still
    read newest-first through the primary key and stops after one page.
    """
    pieces = required_fragments(normalised_message)
    if not pieces:
        return normalise_sql(column), []
    checks = " AND ".join(f"{column} LIKE %s" for _piece in pieces)
    return (
        f"CASE WHEN {checks} THEN {normalise_sql(column)} END",
        [_like_contains(piece) for piece in pieces],
    )


def function_sql() -> str:
    """``CREATE OR REPLACE FUNCTION`` for :data:`SQL_FUNCTION`, generated from the rules.

    A function (not an inline expression) so that each rule runs only when it can match.
    """
    steps = "\n".join(f"    {rule.sql()}" for rule in NORMALISATION_RULES)
    return f"""
CREATE OR REPLACE FUNCTION {SQL_FUNCTION}(message text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    m text := coalesce(message, '');
BEGIN
{steps}
    RETURN coalesce(nullif(left(btrim(m, ' '), {MAX_NORMALISED_LENGTH}), ''),
                    {_literal(NO_MESSAGE)});
END
$fn$;
"""


def install_sql_function(connection: Any) -> None:
    """Create or replace the normalisation function in ``connection``'s database."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(function_sql())


def code_of_normalised(normalised_message: str) -> str:
    """The status code a normalised message stands for (``UNKNOWN`` when not recognised)."""
    prefix = _CODE_PREFIX.match(normalised_message)
    if prefix and prefix.group(1) in _KNOWN_CODES:
        return prefix.group(1)
    for code, pattern in _COMPILED_CODES:
        if pattern.search(normalised_message):
            return code
    return UNKNOWN


def classify(sf_message: str | None) -> ErrorCause:
    """The inferred status code and normalised message of a Salesforce error text."""
    normalised_message = normalise(sf_message)
    return ErrorCause(code_of_normalised(normalised_message), normalised_message)


# --- Group keys ---------------------------------------------------------------------------

_TABLE_NAME = re.compile(r"\A[A-Za-z0-9_]{1,128}\Z")
_KEY = re.compile(r"\A([A-Z_]{1,64})\.([A-Za-z0-9_-]+)\Z")


class InvalidGroupKey(ValueError):
    """The error-group key is malformed or was tampered with."""


@dataclass(frozen=True)
class GroupRef:
    """What a group key stands for."""

    table_name: str
    code: str
    normalised_message: str

    @property
    def key(self) -> str:
        return group_key(self.table_name, self.code, self.normalised_message)

    @property
    def hint(self) -> str:
        return REMEDIATION_HINTS.get(self.code, "")


def group_key(table_name: str, code: str, normalised: str) -> str:
    """A stable, URL-safe key: ``<CODE>.<base64url(table + newline + message)>``.

    The key carries the group itself, so it resolves without a lookup (and survives a stale
    summary); :func:`parse_group_key` checks that the code matches the message.
    """
    payload = f"{table_name}\n{normalised}".encode()
    return f"{code}." + base64.urlsafe_b64encode(payload).decode().rstrip("=")


def parse_group_key(key: str) -> GroupRef:
    """The group a key stands for; :class:`InvalidGroupKey` for a malformed or tampered key."""
    match = _KEY.match(key or "")
    if not match:
        raise InvalidGroupKey("Unknown error group.")
    code, encoded = match.groups()
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidGroupKey("Unknown error group.") from None
    table_name, sep, normalised_message = payload.partition("\n")
    if (
        not sep
        or not _TABLE_NAME.match(table_name)
        or not normalised_message
        or len(normalised_message) > MAX_NORMALISED_LENGTH
        or code_of_normalised(normalised_message) != code
    ):
        raise InvalidGroupKey("Unknown error group.")
    return GroupRef(table_name, code, normalised_message)
