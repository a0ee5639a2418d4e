"""The simulator's data files (describes, seed values, error catalogue) fit the code using them."""

from __future__ import annotations

import pytest

from heroku_connect.simulator import errors
from heroku_connect.simulator.data import load_json
from heroku_connect.simulator.describes import Condition, load_describes
from heroku_connect.simulator.org import Org


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(3)


def test_load_json__gives_a_fresh_copy_each_time():
    """Changing what load_json returned does not change the next caller's data."""
    first = load_json("seed.json")
    first["words"]["cities"].clear()
    assert load_json("seed.json")["words"]["cities"]


def test_describes__each_org_has_its_own_copy():
    """A test may change one org's describe without touching another org's."""
    changed, other = Org(0, records_per_object=3), Org(0, records_per_object=3)
    changed.describe("Contact").fields["LastName"].length = 20
    assert other.describe("Contact").fields["LastName"].length == 80
    assert {d.name: d for d in load_describes()}["Contact"].fields["LastName"].length == 80


def test_validation_rules__name_fields_of_their_object(org):
    """Every condition, error field and violation value of a rule names a field of its object."""
    rules = 0
    for name in org.object_names():
        describe = org.describe(name)
        for rule in describe.validation_rules:
            rules += 1
            named = {c.field for c in rule.when} | set(rule.violation) | {rule.error_field}
            assert named <= set(describe.fields), (name, rule.name)
    assert rules == 6


def test_validation_rules__violation_breaks_the_rule_and_seeded_records_keep_it(org):
    """The seeded records obey every rule; each rule's violation, applied to one, breaks it."""
    for name in org.object_names():
        for rule in org.describe(name).validation_rules:
            records = org.records(name)
            assert records, name
            assert not any(rule.fails(record) for record in records), (name, rule.name)
            assert rule.fails({**records[0], **rule.violation}), (name, rule.name)


def test_seed__values_fit_the_describes(org):
    """Seeded picklist values are listed in their field; record types are for known objects."""
    for name in org.object_names():
        describe = org.describe(name)
        picklists = [f for f in describe.fields.values() if f.type == "picklist"]
        for record in org.records(name):
            for f in picklists:
                assert record[f.name] in (None, *f.picklist_values), (name, f.name)
    record_types = org.records("RecordType")
    assert {r["SobjectType"] for r in record_types} <= set(org.object_names())
    assert {r["DeveloperName"] for r in record_types} >= {"Customer", "Partner", "Support"}


def test_condition__unknown_test_is_rejected():
    """A typo in describes.json fails loudly when the describes are loaded."""
    with pytest.raises(ValueError, match="unknown condition test 'greater'"):
        Condition("Amount", "greater", 0)


def test_error_catalogue__every_kind_has_a_factory_and_known_code():
    """Each entry of errors.json is built by the factory of the same name, with a known code."""
    for kind, (status_code, _template) in errors.CATALOGUE.items():
        assert callable(getattr(errors, kind)), kind
        assert status_code in set(errors.StatusCode), kind
    assert set(errors.CATALOGUE) == {name for name in errors.__all__ if name[0].islower()}
