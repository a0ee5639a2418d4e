"""Project-wide checks E005, E006, E008 and W001, and their registration."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

import heroku_connect.checks
from heroku_connect.db import models as hc_models

TESTS_APP = "tests.heroku_connect.apps.HerokuConnectTestsConfig"


@pytest.fixture
def isolated(monkeypatch):
    """An isolated app registry that the project-wide checks scan instead of the real one."""
    with isolate_apps(TESTS_APP) as registry:
        monkeypatch.setattr(heroku_connect.checks, "apps", registry)
        yield registry


def _connected_model():
    class Number(hc_models.HerokuConnectModel):
        sf_object_name = "Number__c"
        external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    return Number


def test_registered_checks__project_is_clean():
    """The registered checks find nothing wrong with the example models."""
    registered = checks.registry.registry.get_checks()
    assert heroku_connect.checks._check_foreign_key in registered
    assert heroku_connect.checks._check_unique_sf_object_name in registered
    assert heroku_connect.checks._check_foreign_key(None) == []
    assert heroku_connect.checks._check_unique_sf_object_name(None) == []
    call_command("check", "--fail-level", "WARNING")


def test_check_foreign_key__to_id_with_constraint(isolated):
    """An FK to id with a constraint gives E005, W001, E008 in that order, exact texts."""
    target = _connected_model()

    class Other(models.Model):  # noqa: DJ008
        number = models.ForeignKey(target, on_delete=models.CASCADE)

    messages = heroku_connect.checks._check_foreign_key(None)
    assert [(m.id, m.msg, m.hint) for m in messages] == [
        (
            "heroku_connect.E005",
            "hc_tests.Other.number should point to an External ID or the 'sf_id', not 'id'.",
            "Specify the 'to_field' argument.",
        ),
        (
            "heroku_connect.W001",
            "hc_tests.Other.number should not have database constraints to a Heroku Connect model.",
            "Set 'db_constraint' to False.",
        ),
        (
            "heroku_connect.E008",
            "hc_tests.Other.number may not have database constraints to a Heroku Connect model.",
            "Set 'db_constraint' to False.",
        ),
    ]
    assert isinstance(messages[1], checks.Warning)
    assert isinstance(messages[2], checks.Error)


def test_check_foreign_key__correct_lookup_is_clean(isolated):
    """A constraint-less FK to sf_id or an External ID passes."""
    target = _connected_model()

    class Other(models.Model):  # noqa: DJ008
        by_sfid = models.ForeignKey(
            target, on_delete=models.DO_NOTHING, to_field="sf_id", db_constraint=False,
            related_name="+",
        )  # fmt: skip
        by_external_id = models.OneToOneField(
            target, on_delete=models.DO_NOTHING, to_field="external_id", db_constraint=False,
            related_name="+",
        )  # fmt: skip

    class Child(hc_models.HerokuConnectModel):
        sf_object_name = "Child__c"
        parent = hc_models.Lookup(target, sf_field_name="Parent__c", on_delete=models.DO_NOTHING)

    messages = heroku_connect.checks._check_foreign_key(None)
    assert [(m.id, str(m.msg)) for m in messages] == [
        (
            "heroku_connect.E005",
            "hc_tests.Child.parent should point to an External ID or the 'sf_id', not 'id'.",
        )
    ]


def test_check_foreign_key__many_to_many(isolated):
    """An M2M to a connected model gives E005 and W001 (no E008); the through FK is an FK."""
    target = _connected_model()

    class Other(models.Model):  # noqa: DJ008
        numbers = models.ManyToManyField(target)

    messages = heroku_connect.checks._check_foreign_key(None)
    found = [(m.id, m.msg.split(" ")[0]) for m in messages]
    assert found == [
        ("heroku_connect.E005", "hc_tests.Other_numbers.number"),
        ("heroku_connect.W001", "hc_tests.Other_numbers.number"),
        ("heroku_connect.E008", "hc_tests.Other_numbers.number"),
        ("heroku_connect.E005", "hc_tests.Other.numbers"),
        ("heroku_connect.W001", "hc_tests.Other.numbers"),
    ]


def test_check_unique_sf_object_name__clash(isolated, monkeypatch):
    """E006 for every model of a clashing group, with obj set; looked up via the module global."""

    class First(hc_models.HerokuConnectModel):
        sf_object_name = "Account"

    class Second(hc_models.HerokuConnectModel):
        sf_object_name = "Account"

    class Third(hc_models.HerokuConnectModel):
        sf_object_name = "Contact"

    monkeypatch.setattr(
        heroku_connect.checks, "get_heroku_connect_models", lambda: iter([First, Second, Third])
    )
    messages = heroku_connect.checks._check_unique_sf_object_name(None)
    assert [(m.id, m.msg, m.hint, m.obj) for m in messages] == [
        (
            "heroku_connect.E006",
            "hc_tests.First.sf_object_name 'Account' clashes with another model.",
            "Make sure your 'sf_object_name' is correct.",
            First,
        ),
        (
            "heroku_connect.E006",
            "hc_tests.Second.sf_object_name 'Account' clashes with another model.",
            "Make sure your 'sf_object_name' is correct.",
            Second,
        ),
    ]
