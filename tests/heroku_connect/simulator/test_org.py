"""The simulated Salesforce org: describes, seeded records, write semantics and error texts."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from app.salesforce.models import Account, Contact, Project, RecordType, User
from heroku_connect.dev_schema import model_columns
from heroku_connect.simulator.org import Org, SalesforceError, salesforce_id


@pytest.fixture(scope="module")
def org() -> Org:
    """A read-only org shared by the tests that do not write."""
    return Org(0)


def _error(call) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        call()
    return info.value


# --- seed data ----------------------------------------------------------------------------


def test_org__records_are_deterministic_for_a_seed():
    """The same seed gives the same records, ids and org id; another seed differs."""
    first, second, other = Org(7), Org(7), Org(8)
    for name in first.object_names():
        assert first.records(name) == second.records(name)
    assert first.organization_id == second.organization_id
    assert first.records("Contact") != other.records("Contact")
    assert first.organization_id != other.organization_id


def test_org__objects_and_record_counts(org):
    assert org.object_names() == [
        "User",
        "RecordType",
        "Account",
        "Contact",
        "Opportunity",
        "Case",
        "Project__c",
        "Invoice__c",
    ]
    assert len(org.records("Project__c")) == 50
    assert 45 <= len(org.records("Contact")) < 50  # a few seeded ones are in the recycle bin
    assert Org(1, records_per_object=5).records("Account").__len__() == 5


@pytest.mark.parametrize("seed", range(6))
def test_org__always_has_an_inactive_user(seed):
    users = Org(seed, records_per_object=5).records("User")
    assert any(not u["IsActive"] for u in users)
    assert any(u["IsActive"] for u in users)


def test_org__ids_look_like_salesforce_ids(org):
    """18 characters, the object's key prefix, and Salesforce's case-safe checksum."""
    prefixes = {"User": "005", "RecordType": "012", "Account": "001", "Contact": "003",
                "Opportunity": "006", "Case": "500", "Project__c": "a01",
                "Invoice__c": "a02"}  # fmt: skip
    for name, prefix in prefixes.items():
        for record in org.records(name):
            assert len(record["Id"]) == 18
            assert record["Id"].startswith(prefix)
            assert salesforce_id(record["Id"][:15]) == record["Id"]
    assert org.organization_id.startswith("00D")
    assert len(org.organization_id) == 18
    assert salesforce_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # a documented example


def test_org__seeded_records_are_realistic_and_consistent(org):
    accounts = {r["Id"] for r in org.records("Account")}
    users = {r["Id"]: r for r in org.records("User")}
    for contact in org.records("Contact"):
        assert contact["LastName"]
        assert contact["Name"] == f"{contact['FirstName']} {contact['LastName']}"
        assert "@" in contact["Email"]
        assert len(contact["External_ID__c"]) == 32
        assert contact["OwnerId"] in users
        if contact["AccountId"] not in accounts:  # None, or an account in the recycle bin
            assert contact["AccountId"] is None or org.get("Account", contact["AccountId"])
    assert any(not u["IsActive"] for u in users.values())
    assert {r["Rating"] for r in org.records("Account")} <= {"Hot", "Warm", "Cold"}


# --- describes ----------------------------------------------------------------------------


def test_describe__fields_used_by_the_example_models_exist_with_matching_types(org):
    """Every field the example models map exists, and Connect's column type matches the
    model's column (a Number with no decimals is ``integer`` in Connect, ``double`` in the
    model, which both read and write)."""
    compatible = {("integer", "double precision")}
    for model in (User, RecordType, Account, Contact, Project):
        columns, _indexes = model_columns(model, connection)
        by_column = {c.name: c.sql_type for c in columns}
        for field in model.get_heroku_connect_fields():
            name = field.sf_field_name
            assert org.describe(model.sf_object_name).field(name) is not None, name
            expected = by_column[field.column].replace("varchar", "character varying")
            actual = org.column_type(model.sf_object_name, name)
            assert actual == expected or (actual, expected) in compatible, (name, actual)


def test_describe__as_json_is_salesforce_like(org):
    account = org.describe("Account").as_json()
    fields = {f["name"]: f for f in account["fields"]}
    assert account["keyPrefix"] == "001"
    assert fields["Name"]["required"] is True
    assert fields["Name"]["nillable"] is False
    assert fields["External_ID__c"]["externalId"] is True
    assert fields["External_ID__c"]["unique"] is True
    assert fields["External_ID__c"]["length"] == 32
    assert fields["Rating"]["restrictedPicklist"] is True
    assert [v["value"] for v in fields["Rating"]["picklistValues"]] == ["Hot", "Warm", "Cold"]
    assert fields["Id"]["createable"] is False
    assert account["validationRules"][0]["errorMessage"] == "Annual Revenue cannot be negative."
    contact = {f["name"]: f for f in org.describe("Contact").as_json()["fields"]}
    assert contact["AccountId"]["referenceTo"] == ["Account"]
    assert contact["AccountId"]["relationshipName"] == "Account"
    assert contact["LastName"]["required"] is True
    assert contact["Email"]["type"] == "email"


def test_describe__names_are_case_insensitive_and_unknown_ones_raise(org):
    assert org.has_object("contact")
    assert org.describe("project__C").name == "Project__c"
    assert org.field("Contact", "lastname").name == "LastName"
    assert not org.has_object("Lead")
    with pytest.raises(KeyError):
        org.describe("Lead")
    with pytest.raises(KeyError):
        org.field("Contact", "Nope__c")


@pytest.mark.parametrize(
    ("object_name", "field_name", "sql_type"),
    [
        ("Account", "Id", "character varying(18)"),
        ("Contact", "AccountId", "character varying(18)"),
        ("Contact", "Account__r__External_ID__c", "character varying(32)"),
        ("Project__c", "Account__r__External_ID__c", "character varying(32)"),
        ("Account", "IsDeleted", "boolean"),
        ("Account", "AnnualRevenue", "double precision"),
        ("Opportunity", "Probability", "double precision"),
        ("Account", "NumberOfEmployees", "integer"),
        ("Contact", "Birthdate", "date"),
        ("Contact", "SystemModstamp", "timestamp without time zone"),
        ("Contact", "Email", "character varying(80)"),
        ("Contact", "Phone", "character varying(40)"),
        ("Account", "Website", "character varying(255)"),
        ("Contact", "Name", "character varying(121)"),
        ("Account", "Industry", "character varying(255)"),
        ("Account", "Services__c", "character varying(4099)"),
        ("Account", "Description", "text"),
    ],
)
def test_column_type__heroku_connect_types(org, object_name, field_name, sql_type):
    assert org.column_type(object_name, field_name) == sql_type


def test_relationship__resolves_the_base_lookup_and_external_field(org):
    lookup, target, external = org.relationship("Contact", "Account__r__External_ID__c")
    assert (lookup.name, target.name, external.name) == ("AccountId", "Account", "External_ID__c")
    with pytest.raises(KeyError):
        org.relationship("Contact", "Account__r__Name")  # not an External ID
    with pytest.raises(KeyError):
        org.relationship("Contact", "Nothing__r__External_ID__c")


# --- writes -------------------------------------------------------------------------------

EXT = "0123456789abcdef0123456789abcdef"


def test_upsert__creates_then_updates_on_the_external_id():
    org = Org(0, records_per_object=5)
    sfid, created = org.upsert(
        "Contact", {"lastname": "Doe", "External_ID__c": EXT}, upsert_field="External_ID__c",
        sfid=None,
    )  # fmt: skip
    assert created is True
    assert org.get("Contact", sfid)["Name"] == "Doe"
    again, created = org.upsert(
        "Contact", {"FirstName": "Jane", "External_ID__c": EXT.upper()},
        upsert_field="External_ID__c", sfid=None,
    )  # fmt: skip
    assert (again, created) == (sfid, False)
    assert org.get("Contact", sfid)["Name"] == "Jane Doe"


def test_upsert__with_sfid_updates_that_record_and_parses_text_values():
    org = Org(0, records_per_object=5)
    account = org.records("Account")[0]
    sfid, created = org.upsert(
        "Account",
        {"NumberOfEmployees": "42.0", "AnnualRevenue": "1e6", "Name": "Renamed"},
        upsert_field="External_ID__c",
        sfid=account["Id"],
    )
    record = org.get("Account", sfid)
    assert (sfid, created) == (account["Id"], False)
    assert (record["NumberOfEmployees"], record["AnnualRevenue"]) == (42, 1_000_000.0)
    assert record["SystemModstamp"] >= account["SystemModstamp"]


def test_upsert__external_id_relationship_field_sets_the_lookup():
    org = Org(0, records_per_object=5)
    account = org.records("Account")[0]
    sfid, _ = org.upsert(
        "Contact",
        {"LastName": "Linked", "Account__r__External_ID__c": account["External_ID__c"]},
        upsert_field="External_ID__c",
        sfid=None,
    )
    assert org.get("Contact", sfid)["AccountId"] == account["Id"]
    assert (
        org.field_value("Contact", org.get("Contact", sfid), "Account__r__External_ID__c")
        == (account["External_ID__c"])
    )
    error = _error(
        lambda: org.upsert(
            "Contact",
            {"LastName": "x", "Account__r__External_ID__c": "missing"},
            upsert_field="External_ID__c",
            sfid=None,
        )
    )
    assert error.message == (
        "Foreign key external ID: missing not found for field External_ID__c in entity Account"
    )


ERROR_CASES = [
    ("Contact", {"FirstName": "x"}, "REQUIRED_FIELD_MISSING",
     "Required fields are missing: [LastName]"),
    ("Opportunity", {"Name": "x"}, "REQUIRED_FIELD_MISSING",
     "Required fields are missing: [StageName, CloseDate]"),
    ("Contact", {"LastName": "x", "Email": "foo@"}, "INVALID_EMAIL_ADDRESS",
     "Email: invalid email address: foo@"),
    ("Contact", {"LastName": "y" * 81}, "STRING_TOO_LONG",
     f"Last Name: data value too large: {'y' * 81} (max length=80)"),
    ("Account", {"Name": "x", "Rating": "Hot!"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Rating: bad value for restricted picklist field: Hot!"),
    ("Contact", {"LastName": "x", "AccountId": "0015g00000ZZZZZAAA"},
     "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
    ("Contact", {"LastName": "x", "AccountId": "not-an-id"}, "MALFORMED_ID",
     "Account ID: id value of incorrect type: not-an-id"),
    ("Account", {"Name": "x", "NumberOfEmployees": "123456789"}, "NUMBER_OUTSIDE_VALID_RANGE",
     "Employees: value outside of valid range on numeric field: 123456789"),
    ("Contact", {"LastName": "x", "Birthdate": "yesterday"}, "INVALID_TYPE_ON_FIELD_IN_RECORD",
     "Birthdate: value not of required type: yesterday"),
    ("Account", {"Name": "x", "AnnualRevenue": "-5"}, "FIELD_CUSTOM_VALIDATION_EXCEPTION",
     "Annual Revenue cannot be negative."),
    ("Project__c", {"Name": "x", "Status__c": "Active"}, "FIELD_CUSTOM_VALIDATION_EXCEPTION",
     "Active projects need a start date."),
    ("Contact", {"LastName": "x", "Name": "Full"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
     "Unable to create/update fields: Name. Please check the security settings of this field "
     "and verify that it is read/write for your profile or permission set."),
    ("Contact", {"LastName": "x", "Shoe_Size__c": "42"}, "INVALID_FIELD",
     "No such column 'Shoe_Size__c' on entity 'Contact'. If you are attempting to use a custom "
     "field, be sure to append the '__c' after the custom field name."),
]  # fmt: skip


@pytest.mark.parametrize(("object_name", "values", "code", "message"), ERROR_CASES)
def test_upsert__rejects_bad_data_with_salesforce_messages(object_name, values, code, message):
    """Each rejection has Salesforce's status code and message text and changes nothing."""
    org = Org(0, records_per_object=5)
    before = org.sequence
    error = _error(
        lambda: org.upsert(object_name, values, upsert_field="External_ID__c", sfid=None)
    )
    assert (error.status_code, error.message, str(error)) == (code, message, message)
    assert org.sequence == before


def test_upsert__duplicate_external_id_on_update():
    org = Org(0, records_per_object=5)
    first, second = org.records("Contact")[:2]
    error = _error(
        lambda: org.update("Contact", second["Id"], {"External_ID__c": first["External_ID__c"]})
    )
    assert error.message == (
        f"duplicate value found: External_ID__c duplicates value on record with id: {first['Id']}"
    )
    assert error.fields == ["External_ID__c"]


def test_upsert__inactive_owner():
    org = Org(0, records_per_object=5)
    inactive = next(u for u in org.records("User") if not u["IsActive"])
    error = _error(
        lambda: org.upsert(
            "Account", {"Name": "x", "OwnerId": inactive["Id"]}, upsert_field=None, sfid=None
        )
    )
    assert (error.status_code, error.message) == (
        "INACTIVE_OWNER_OR_USER",
        "owner is inactive, cannot reparent record",
    )


def test_delete__recycle_bin_then_entity_is_deleted():
    org = Org(0, records_per_object=5)
    sfid = org.records("Contact")[0]["Id"]
    org.delete("Contact", sfid)
    assert org.get("Contact", sfid)["IsDeleted"] is True
    assert sfid not in {r["Id"] for r in org.records("Contact")}
    assert _error(lambda: org.delete("Contact", sfid)).message == "entity is deleted"
    assert _error(lambda: org.update("Contact", sfid, {"LastName": "x"})).message == (
        "entity is deleted"
    )
    org.purge("Contact", sfid)
    assert org.get("Contact", sfid) is None
    assert _error(lambda: org.delete("Contact", sfid)).status_code == "ENTITY_IS_DELETED"
    assert _error(lambda: org.delete("Contact", "0035g00000ZZZZZAAA")).message == (
        "invalid cross reference id"
    )
    assert _error(lambda: org.delete("Contact", "0015g0000000001AAA")).status_code == (
        "INVALID_CROSS_REFERENCE_KEY"
    )


def test_transaction__undoes_every_change_when_an_exception_escapes():
    org = Org(0, records_per_object=5)
    before = {name: org.records(name) for name in org.object_names()}
    cursor = org.sequence
    contact = org.records("Contact")[0]["Id"]

    def change_then_fail() -> None:
        with org.transaction():
            org.upsert("Contact", {"LastName": "New"}, upsert_field=None, sfid=None)
            org.update("Contact", contact, {"LastName": "Changed"})
            org.delete("Account", org.records("Account")[0]["Id"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert {name: org.records(name) for name in org.object_names()} == before
    assert org.changed_since("Contact", cursor)[0] == []
    with org.transaction():
        org.update("Contact", contact, {"LastName": "Kept"})
    assert org.get("Contact", contact)["LastName"] == "Kept"


# --- read side ----------------------------------------------------------------------------


def test_generate_changes__deterministic_and_applied():
    first, second = Org(0, records_per_object=10), Org(0, records_per_object=10)
    a = first.generate_changes("Contact", random.Random(1), max_changes=8)
    b = second.generate_changes("Contact", random.Random(1), max_changes=8)
    assert [(c.kind, c.sfid) for c in a] == [(c.kind, c.sfid) for c in b]
    for change in a:
        record = first.get("Contact", change.sfid)
        if change.kind == "delete" and change.hard:
            assert record is None
        elif change.kind == "delete":
            assert record["IsDeleted"] is True
        else:
            assert record is not None


def test_generate_changes__makes_every_kind_and_never_deletes_users():
    org = Org(0, records_per_object=10)
    rng = random.Random(2)
    kinds = {c.kind for _ in range(20) for c in org.generate_changes("Account", rng, max_changes=5)}
    assert kinds == {"insert", "update", "delete"}
    user_changes = [c for _ in range(20) for c in org.generate_changes("User", rng, max_changes=5)]
    assert user_changes
    assert {c.kind for c in user_changes} <= {"insert", "update"}
    assert org.generate_changes("Account", rng, max_changes=0) == []


def test_changed_since__latest_state_per_record_and_new_cursor():
    org = Org(0, records_per_object=5)
    cursor = org.sequence
    sfid, _ = org.upsert("Contact", {"LastName": "A"}, upsert_field=None, sfid=None)
    org.update("Contact", sfid, {"LastName": "B"})
    existing = org.records("Contact")[0]["Id"]
    org.update("Contact", existing, {"Title": "CTO"})
    changes, new_cursor = org.changed_since("Contact", cursor)
    assert [(c.kind, c.sfid, c.values["LastName"]) for c in changes][0] == ("insert", sfid, "B")
    assert [(c.kind, c.sfid) for c in changes][1] == ("update", existing)
    assert new_cursor == org.sequence
    assert org.changed_since("Contact", new_cursor) == ([], new_cursor)
    assert org.changed_since("Account", cursor) == ([], new_cursor)


def test_changes__carry_only_salesforce_fields():
    """Change values hold field API names only (no bookkeeping of the simulator)."""
    org = Org(0, records_per_object=10)
    rng = random.Random(3)
    changes = [c for _ in range(10) for c in org.generate_changes("Contact", rng, max_changes=5)]
    changes += org.changed_since("Contact", 0)[0]
    fields = set(org.describe("Contact").fields)
    assert changes
    for change in changes:
        assert set(change.values) <= fields, change.kind
