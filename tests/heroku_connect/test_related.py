"""Lookup and MasterDetail: constraint-less foreign keys to Salesforce keys."""

from django.db import connection, models
from django.test.utils import isolate_apps

from app.salesforce.models import Account, Contact
from heroku_connect.db import models as hc_models
from heroku_connect.db.models import related

TESTS_APP = "tests.heroku_connect.apps.HerokuConnectTestsConfig"


def test_all():
    """related.__all__ lists the three public names."""
    assert set(related.__all__) == {"ConstraintlessForeignObjectMixin", "Lookup", "MasterDetail"}


def test_lookup__example_column_index_and_type():
    """The column is the lower-case API name, nullable, indexed, typed like the target."""
    field = Contact._meta.get_field("account")
    assert field.column == "accountid"
    assert field.null is True
    assert field.db_index is True
    assert field.db_constraint is False
    assert field.target_field is Account._meta.get_field("sf_id")
    assert field.db_type(connection) == "varchar(18)"
    indexes = Contact.get_heroku_connect_mapping()["config"]["indexes"]
    assert indexes["AccountId"] == {"unique": False}


@isolate_apps(TESTS_APP)
def test_lookup_and_master_detail__force_no_constraint():
    """db_constraint=True is overridden; pointing at an External ID gives varchar(32)."""

    class Parent(hc_models.HerokuConnectModel):
        sf_object_name = "Parent__c"
        external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    class Child(hc_models.HerokuConnectModel):
        sf_object_name = "Child__c"
        parent = hc_models.MasterDetail(
            Parent,
            sf_field_name="Parent__c",
            to_field="external_id",
            db_constraint=True,
            on_delete=models.DO_NOTHING,
        )
        lookup = hc_models.Lookup(
            Parent,
            sf_field_name="Other__c",
            to_field="sf_id",
            db_constraint=True,
            on_delete=models.DO_NOTHING,
            related_name="+",
        )

    parent = Child._meta.get_field("parent")
    assert parent.db_constraint is False
    assert Child._meta.get_field("lookup").db_constraint is False
    assert parent.column == "parent__c"
    assert parent.db_type(connection) == "varchar(32)"
    _, _, _, kwargs = parent.deconstruct()
    assert kwargs["sf_field_name"] == "Parent__c"
    assert kwargs["db_constraint"] is False
