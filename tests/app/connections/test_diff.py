"""The semantic mapping diff and the pre-import validation (pure functions)."""

from __future__ import annotations

import copy
import json

from app.connections.diff import (
    Change,
    canonical_json,
    diff_mappings,
    format_diff,
    required_fields_from_describe,
    validate_mapping,
)


def _doc(*entries: dict) -> dict:
    return {"version": 1, "connection": {"app_name": "x"}, "mappings": list(entries)}


def _contact(**overrides) -> dict:
    config = {
        "access": "read_write",
        "sf_notify_enabled": False,
        "sf_polling_seconds": 600,
        "sf_max_daily_api_calls": 30000,
        "upsert_field": "External_ID__c",
        "fields": {"Id": {}, "IsDeleted": {}, "SystemModstamp": {}, "LastName": {},
                   "External_ID__c": {}},
        "indexes": {"Id": {"unique": True}, "SystemModstamp": {"unique": False},
                    "External_ID__c": {"unique": True}},
    }  # fmt: skip
    config.update(overrides)
    return {"object_name": "Contact", "config": config}


def _user() -> dict:
    return {
        "object_name": "User",
        "config": {
            "access": "read_only",
            "fields": {"Id": {}},
            "indexes": {"Id": {"unique": True}},
        },
    }


def test_diff__equal_documents_have_no_changes():
    """Identical mappings (in any order, with different export metadata) do not differ."""
    code = _doc(_contact(), _user())
    deployed = _doc(_user(), _contact())
    deployed["connection"] = {"app_name": "other", "exported_at": "2026-01-01T00:00:00+00:00"}
    diff = diff_mappings(code, deployed)
    assert not diff.has_changes
    assert diff.summary() == {"added": 0, "removed": 0, "changed": 0}
    assert format_diff(diff).startswith("No differences")


def test_diff__added_and_removed_objects():
    """An object only in code is added (with its fields); one only deployed is removed."""
    diff = diff_mappings(_doc(_contact()), _doc(_user()))
    by_name = {o.object_name: o for o in diff.objects}
    assert by_name["Contact"].status == "added"
    assert "LastName" in by_name["Contact"].fields_added
    assert by_name["User"].status == "removed"
    assert by_name["User"].fields_removed == ["Id"]
    assert diff.summary() == {"added": 1, "removed": 1, "changed": 0}


def test_diff__access_polling_notify_and_upsert_changes():
    """Scalar settings are reported from deployed (before) to code (after)."""
    code = _doc(_contact(access="read_only", sf_polling_seconds=120, sf_notify_enabled=True,
                         upsert_field=None))  # fmt: skip
    (obj,) = diff_mappings(code, _doc(_contact())).objects
    assert obj.status == "changed"
    assert set(obj.changes) == {
        Change("access", "read_write", "read_only"),
        Change("polling interval (s)", 600, 120),
        Change("accelerated polling (notify)", False, True),
        Change("upsert field", "External_ID__c", None),
    }


def test_diff__fields_indexes_and_uniqueness():
    """Fields and indexes added/removed, and an index whose uniqueness flipped."""
    code = _contact()
    code["config"]["fields"]["Email"] = {}
    del code["config"]["fields"]["LastName"]
    code["config"]["indexes"]["Email"] = {"unique": False}
    del code["config"]["indexes"]["SystemModstamp"]
    code["config"]["indexes"]["External_ID__c"] = {"unique": False}
    (obj,) = diff_mappings(_doc(code), _doc(_contact())).objects
    assert obj.fields_added == ["Email"]
    assert obj.fields_removed == ["LastName"]
    assert obj.indexes_added == ["Email"]
    assert obj.indexes_removed == ["SystemModstamp"]
    assert obj.uniqueness_changed == [Change("External_ID__c", True, False)]
    text = format_diff(diff_mappings(_doc(code), _doc(_contact())))
    assert "+ field Email" in text
    assert "- field LastName" in text
    assert "0 added, 0 removed, 1 changed" in text


def test_diff__missing_deployed_document_means_everything_added():
    """Without a deployed mapping (never fetched / empty connection) every object is added."""
    diff = diff_mappings(_doc(_contact(), _user()), None)
    assert [o.status for o in diff.objects] == ["added", "added"]
    assert json.loads(json.dumps(diff.as_dict()))["differs"] is True


def test_validate__read_write_without_upsert_field():
    """A read-write mapping without an upsert field is warned about; read-only is not."""
    doc = _doc(_contact(upsert_field=None), _user())
    assert [(w.object_name, w.code) for w in validate_mapping(doc)] == [
        ("Contact", "no_upsert_field")
    ]


def test_validate__relationship_field_needs_an_indexed_base_lookup():
    """``Project__r__External_ID__c`` warns unless ``Project__c`` is indexed."""
    entry = _contact()
    entry["config"]["fields"]["Project__r__External_ID__c"] = {}
    entry["config"]["fields"]["Project__c"] = {}
    (warning,) = validate_mapping(_doc(entry))
    assert warning.code == "unindexed_relationship"
    assert "Project__c" in warning.message
    entry["config"]["indexes"]["Project__c"] = {"unique": False}
    assert validate_mapping(_doc(entry)) == []


def test_validate__org_required_fields_not_mapped():
    """Fields the org requires on create but not mapped are listed, for read-write objects."""
    required = {"Contact": ["LastName", "Birthdate"], "User": ["Username"]}
    (warning,) = validate_mapping(_doc(_contact(), _user()), required.get)
    assert (warning.object_name, warning.code) == ("Contact", "required_not_mapped")
    assert warning.message.endswith("Birthdate")


def test_required_fields_from_describe__both_payload_shapes():
    """Connect's ``required`` flag and Salesforce's createable/nillable/defaulted both work."""
    payload = {
        "fields": [
            {"name": "LastName", "required": True},
            {"name": "Email", "required": False},
            {"name": "OwnerId", "createable": True, "nillable": False,
             "defaultedOnCreate": True},
            {"name": "Name__c", "createable": True, "nillable": False},
            {"name": "Formula__c", "createable": False, "nillable": False},
            "garbage",
        ]
    }  # fmt: skip
    assert required_fields_from_describe(payload) == ["LastName", "Name__c"]


def test_canonical_json__sorted_and_stable():
    """Keys sorted, mappings by object_name, 4-space indent; input left untouched."""
    doc = _doc(_user(), _contact())
    before = copy.deepcopy(doc)
    text = canonical_json(doc)
    assert doc == before
    assert text.endswith("}\n")
    assert text.index('"Contact"') < text.index('"User"')
    assert '\n    "connection"' in text
    assert canonical_json(json.loads(text)) == text
