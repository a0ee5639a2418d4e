"""Classification and normalisation of Salesforce error texts (docs/heroku-connect/errors.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from app.dashboard import errors

#: One message per template of docs/heroku-connect/errors.md §2 (and the simulator's extra
#: INVALID_FIELD texts), with the code it must be classified as and its normalised form.
TEMPLATES = [
    ("Required fields are missing: [LastName]", "REQUIRED_FIELD_MISSING",
     "Required fields are missing: [LastName]"),
    ("duplicate value found: Contact_External_ID__c duplicates value on record with id: "
     "a006g000001AbCdEFG", "DUPLICATE_VALUE",
     "duplicate value found: Contact_External_ID__c duplicates value on record with id: <id>"),
    ("Use one of these records?", "DUPLICATES_DETECTED", "Use one of these records?"),
    ("entity is deleted", "ENTITY_IS_DELETED", "entity is deleted"),
    ("owner is inactive, cannot reparent record", "INACTIVE_OWNER_OR_USER",
     "owner is inactive, cannot reparent record"),
    ("insufficient access rights on object id", "INSUFFICIENT_ACCESS_OR_READONLY",
     "insufficient access rights on object id"),
    ("Unable to create/update fields: Secret__c. Please check the security settings of this "
     "field and verify that it is read/write for your profile or permission set.",
     "INVALID_FIELD_FOR_INSERT_UPDATE",
     "Unable to create/update fields: Secret__c. Please check the security settings of this "
     "field and verify that it is read/write for your profile or permission set."),
    ("invalid cross reference id", "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
    ("insufficient access rights on cross-reference id",
     "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
     "insufficient access rights on cross-reference id"),
    ("Account ID: id value of incorrect type: 001XYZ", "MALFORMED_ID",
     "Account ID: id value of incorrect type: <value>"),
    ("Last Name: data value too large: Smith-Smith-Smith (max length=80)", "STRING_TOO_LONG",
     "Last Name: data value too large: <value> (max length=<n>)"),
    ("Industry: bad value for restricted picklist field: Space Mining",
     "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Industry: bad value for restricted picklist field: <value>"),
    ("Email: invalid email address: bob@@example", "INVALID_EMAIL_ADDRESS",
     "Email: invalid email address: <value>"),
    ("Employees: value outside of valid range on numeric field: 1e99",
     "NUMBER_OUTSIDE_VALID_RANGE",
     "Employees: value outside of valid range on numeric field: <value>"),
    ("Amount: value not of required type: abc", "INVALID_TYPE_ON_FIELD_IN_RECORD",
     "Amount: value not of required type: <value>"),
    ("Value does not exist or does not match filter criteria.",
     "FIELD_FILTER_VALIDATION_EXCEPTION",
     "Value does not exist or does not match filter criteria."),
    ("field integrity exception: unknown (12 fields)", "FIELD_INTEGRITY_EXCEPTION",
     "field integrity exception: unknown (<n> fields)"),
    ("unable to obtain exclusive access to this record or 3 records: "
     "0033000000AbCdEAAA,0033000000AbCdFAAA,0033000000AbCdGAAA", "UNABLE_TO_LOCK_ROW",
     "unable to obtain exclusive access to this record"),
    ("ContactTrigger: execution of AfterInsert caused by: System.NullPointerException: boom",
     "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
     "ContactTrigger: execution of AfterInsert caused by: <detail>"),
    ("the entity is locked for editing", "ENTITY_IS_LOCKED", "the entity is locked for editing"),
    ("storage limit exceeded", "STORAGE_LIMIT_EXCEEDED", "storage limit exceeded"),
    ("TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    ("Session expired or invalid", "INVALID_SESSION_ID", "Session expired or invalid"),
    ("No such column 'foo__c' on entity 'Account'.", "INVALID_FIELD",
     "No such column '<value>' on entity '<value>'."),
    ("Foreign key external ID: 42-abc not found for field External_ID__c in entity Account",
     "INVALID_FIELD",
     "Foreign key external ID: <value> not found for field External_ID__c in entity Account"),
    ("FIELD_CUSTOM_VALIDATION_EXCEPTION: Phone must have 10 digits",
     "FIELD_CUSTOM_VALIDATION_EXCEPTION",
     "FIELD_CUSTOM_VALIDATION_EXCEPTION: Phone must have <n> digits"),
    ("Phone must be set for partner accounts", "UNKNOWN", "Phone must be set for partner accounts"),
    (None, "UNKNOWN", "(no message)"),
    ("   ", "UNKNOWN", "(no message)"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "code", "normalised"), TEMPLATES)
def test_classify__every_template(message, code, normalised):
    """Each catalogue template gets its status code and a normalised message without values."""
    cause = errors.classify(message)
    assert cause == errors.ErrorCause(code, normalised)


def test_classify__known_codes_have_hints():
    """Every code classify() can return (except UNKNOWN) has a remediation hint."""
    codes = {code for _message, code, _normalised in TEMPLATES} - {errors.UNKNOWN}
    assert codes <= set(errors.REMEDIATION_HINTS)


def test_normalise__values_ids_emails_numbers_stripped():
    """Ids, sfids, emails, quoted values and numbers are placeholders; 16-char words stay."""
    text = 'Call "+41 44 123" or bob.smith@example.com\n about 003000000000001AAA x12 n 7.5'
    assert errors.normalise(text) == 'Call "<value>" or <email> about <id> x12 n <n>'
    assert errors.normalise("abcdefgh12345678") == "abcdefgh12345678"


def test_normalise__same_group_for_different_values():
    """Messages that differ only in their values normalise alike."""
    first = errors.classify("Email: invalid email address: a@")
    second = errors.classify("Email: invalid email address: b@@c")
    assert first == second


@pytest.mark.django_db
@pytest.mark.parametrize(("message", "_code", "normalised"), TEMPLATES)
def test_normalise_sql__equals_python(message, _code, normalised):
    """PostgreSQL computes exactly the Python normalisation (the group filter relies on it)."""
    sql = errors.normalise_sql("m")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (SELECT %s::text AS m) s", [message])
        assert cursor.fetchone()[0] == normalised


def test_group_key__round_trip_and_url_safe():
    """A key is URL-safe and parses back to its table, code and message."""
    key = errors.group_key(
        "contact", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"
    )
    assert key.startswith("UNABLE_TO_LOCK_ROW.")
    assert all(c.isalnum() or c in "._-" for c in key)
    assert errors.parse_group_key(key) == errors.GroupRef(
        "contact", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"
    )


@pytest.mark.parametrize(
    "key",
    [
        "",
        "nonsense",
        "UNABLE_TO_LOCK_ROW.!!!",
        "UNABLE_TO_LOCK_ROW.Y29udGFjdA",  # no message part
        errors.group_key("contact", "ENTITY_IS_DELETED", "unable to obtain exclusive access"),
        errors.group_key("contact; drop", "ENTITY_IS_DELETED", "entity is deleted"),
    ],
)
def test_parse_group_key__tampered_is_refused(key):
    """Malformed keys, wrong codes and bad table names raise InvalidGroupKey."""
    with pytest.raises(errors.InvalidGroupKey):
        errors.parse_group_key(key)


@pytest.mark.parametrize(
    "message",
    [
        *(message for message, _code, _normalised in TEMPLATES if message),
        "Tabs\tand\nnewlines  and 'quoted text' with \"more\" and x@y.example 12.5,7 ok",
        "a" * 400 + " tail beyond the truncation",
        "ids 0033000000AbCdEAAA,0033000000AbCdEAAB and <n> literally",
    ],
)
def test_required_fragments__always_in_the_raw_message(message):
    """Every fragment used as a LIKE pre-filter occurs in each raw message of the group."""
    fragments = errors.required_fragments(errors.normalise(message), limit=50)
    assert all(fragment in message for fragment in fragments)
