"""HerokuConnectModel: metaclass, mapping export and model checks."""

import pytest
from django.db import models
from django.test.utils import isolate_apps, override_settings

from app.salesforce.models import Account, Contact, RecordType, User
from heroku_connect.db import models as hc_models
from heroku_connect.db.models import base

TESTS_APP = "tests.heroku_connect.apps.HerokuConnectTestsConfig"


def test_constants():
    """READ_ONLY and READ_WRITE keep the public values and names."""
    assert (base.READ_ONLY, base.READ_WRITE) == ("read_only", "read_write")
    assert set(base.__all__) == {"HerokuConnectModel", "READ_ONLY", "READ_WRITE"}
    assert hc_models.HerokuConnectModel is base.HerokuConnectModel
    assert hc_models.ConstraintlessForeignObjectMixin is not None


def test_heroku_connect_model__defaults():
    """The abstract base's class attributes and Meta."""
    model = hc_models.HerokuConnectModel
    assert model._meta.abstract is True
    assert model._meta.managed is False
    assert model.sf_object_name == ""
    assert model.sf_access == "read_only"
    assert model.sf_notify_enabled is False
    assert (model.sf_polling_seconds, model.sf_max_daily_api_calls) == (600, 30000)


def test_concrete_model__unmanaged_with_schema_table():
    """A direct subclass is unmanaged and uses '<schema>"."<object lower>'."""
    assert Account._meta.managed is False
    assert Account.Meta.managed is False
    assert Account._meta.db_table == 'salesforce"."account'
    assert Account.get_heroku_connect_table_name() == "account"
    assert base.get_heroku_connect_table_name(Account) == "account"


def test_builtin_columns():
    """sfid, systemmodstamp, isdeleted, _hc_lastop and _hc_err as in Heroku Connect."""
    columns = {f.name: f.column for f in Account._meta.concrete_fields}
    assert columns["sf_id"] == "sfid"
    assert columns["system_mod_stamp"] == "systemmodstamp"
    assert columns["is_deleted"] == "isdeleted"
    assert columns["_hc_lastop"] == "_hc_lastop"
    assert columns["_hc_err"] == "_hc_err"
    assert Account._meta.get_field("_hc_lastop").max_length == 32
    assert Account._meta.get_field("system_mod_stamp").db_index is True


@pytest.mark.parametrize("model", [User, RecordType])
def test_is_deleted__removed_for_user_and_record_type(model):
    """User and RecordType have no IsDeleted field."""
    assert "is_deleted" not in {f.name for f in model._meta.fields}
    assert "IsDeleted" not in model.get_heroku_connect_mapping()["config"]["fields"]


@isolate_apps(TESTS_APP)
def test_is_deleted__removed_for_email_template():
    """EmailTemplate has no isdeleted column either."""

    class EmailTemplate(hc_models.HerokuConnectModel):
        sf_object_name = "EmailTemplate"

    assert "isdeleted" not in {f.column for f in EmailTemplate._meta.fields}


@isolate_apps(TESTS_APP)
def test_metaclass__overrides_managed_and_keeps_explicit_db_table():
    """managed=True is overridden; an explicit db_table is kept."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"

        class Meta:
            managed = True
            db_table = 'custom"."things'

    assert Thing._meta.managed is False
    assert Thing._meta.db_table == 'custom"."things'
    assert Thing.get_heroku_connect_table_name() == "things"


@isolate_apps(TESTS_APP)
def test_metaclass__schema_read_at_class_creation():
    """The schema comes from HEROKU_CONNECT_SCHEMA when the class is created."""
    with override_settings(HEROKU_CONNECT_SCHEMA="other"):

        class Thing(hc_models.HerokuConnectModel):
            sf_object_name = "Thing__c"

    assert Thing._meta.db_table == 'other"."thing__c'


@isolate_apps(TESTS_APP)
def test_metaclass__abstract_mixin_and_multi_table_child():
    """Subclasses of abstract HC mixins are tables; MTI children stay managed."""

    class Mixin(hc_models.HerokuConnectModel):
        extra = hc_models.Text(sf_field_name="Extra__c", max_length=10)

        class Meta:
            abstract = True

    class Thing(Mixin):
        sf_object_name = "Thing__c"

    class Child(Thing):
        thing_ptr = models.OneToOneField(
            Thing, parent_link=True, on_delete=models.CASCADE, db_constraint=False
        )

        class Meta:  # its own Meta: Django would otherwise inherit the abstract base's
            pass

    assert Thing._meta.db_table == 'salesforce"."thing__c'
    assert Thing._meta.managed is False
    assert "Extra__c" in Thing.get_heroku_connect_mapping()["config"]["fields"]
    assert Child._meta.managed is True
    assert Child._meta.db_table != Thing._meta.db_table


@isolate_apps(TESTS_APP)
def test_abstract_model__gets_the_computed_table_and_is_unmanaged():
    """An abstract subclass gets the computed table and managed=False like a concrete one."""

    class AbstractThing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"

        class Meta:
            abstract = True

    assert AbstractThing._meta.abstract is True
    assert AbstractThing._meta.db_table == 'salesforce"."thing__c'
    assert AbstractThing._meta.managed is False
    assert AbstractThing.get_heroku_connect_table_name() == "thing__c"


@isolate_apps(TESTS_APP)
def test_abstract_model__schema_read_at_class_creation():
    """The abstract class's table uses the schema set when the class is created."""
    with override_settings(HEROKU_CONNECT_SCHEMA="elsewhere"):

        class AbstractThing(hc_models.HerokuConnectModel):
            sf_object_name = "Thing__c"

            class Meta:
                abstract = True

    assert AbstractThing._meta.db_table == 'elsewhere"."thing__c'


@isolate_apps(TESTS_APP)
def test_abstract_model__explicit_db_table_and_managed_are_kept():
    """An abstract class's explicit Meta.db_table and Meta.managed win."""

    class Custom(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"

        class Meta:
            abstract = True
            db_table = 'custom"."things'
            managed = True

    assert (Custom._meta.db_table, Custom._meta.managed) == ('custom"."things', True)


@isolate_apps(TESTS_APP)
def test_abstract_model__concrete_children_compute_their_own_table():
    """Children of an abstract model: own or inherited sf_object_name, inherited Meta or not."""

    class AbstractThing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"

        class Meta:
            abstract = True

    class Thing(AbstractThing):
        pass

    class Other(AbstractThing):
        sf_object_name = "Other__c"

        class Meta(AbstractThing.Meta):
            verbose_name = "other"

    class Named(AbstractThing):
        sf_object_name = "Named__c"

        class Meta(AbstractThing.Meta):
            db_table = 'custom"."named'
            managed = True

    assert (Thing._meta.db_table, Thing._meta.managed) == ('salesforce"."thing__c', False)
    assert (Other._meta.db_table, Other._meta.managed) == ('salesforce"."other__c', False)
    assert Other._meta.verbose_name == "other"
    assert (Named._meta.db_table, Named._meta.managed) == ('custom"."named', False)
    assert Thing.check() == Other.check() == []


def test_get_heroku_connect_fields__builtins_first():
    """The built-in fields come first, then the model's own in definition order."""
    names = [f.sf_field_name for f in Contact.get_heroku_connect_fields()]
    assert names == [
        "Id", "SystemModstamp", "IsDeleted", "FirstName", "LastName", "Email", "Phone",
        "Birthdate", "AccountId", "External_ID__c",
    ]  # fmt: skip


def test_get_heroku_connect_mapping():
    """The mapping entry: object name, config keys in order, fields, indexes, upsert field."""
    mapping = Contact.get_heroku_connect_mapping()
    assert mapping["object_name"] == "Contact"
    config = mapping["config"]
    assert list(config) == [
        "access", "sf_notify_enabled", "sf_polling_seconds", "sf_max_daily_api_calls",
        "fields", "indexes", "upsert_field",
    ]  # fmt: skip
    assert config["access"] == "read_write"
    assert config["fields"]["FirstName"] == {}
    assert config["indexes"] == {
        "Id": {"unique": True},
        "SystemModstamp": {"unique": False},
        "AccountId": {"unique": False},
        "External_ID__c": {"unique": True},
    }
    assert config["upsert_field"] == "External_ID__c"


def test_get_heroku_connect_mapping__no_upsert_key_without_upsert_field():
    """Read-only models without an upsert field have no upsert_field key."""
    assert "upsert_field" not in User.get_heroku_connect_mapping()["config"]
    assert User.get_heroku_connect_field_mapping()[2] is None


@isolate_apps(TESTS_APP)
def test_upsert_field__last_one_wins():
    """With several upsert fields the mapping names the last."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"
        first = hc_models.Text(sf_field_name="First__c", max_length=5, upsert=True)
        second = hc_models.Text(sf_field_name="Second__c", max_length=5, upsert=True)

    assert Thing.get_heroku_connect_field_mapping()[2] == "Second__c"


def _ids(messages):
    return [m.id for m in messages]


def test_checks__example_models_are_clean():
    """The example models pass every model check."""
    for model in (User, RecordType, Account, Contact):
        assert model.check() == []


@isolate_apps(TESTS_APP)
def test_check_e001__missing_sf_object_name():
    """E001 with the exact message when sf_object_name is empty."""

    class Nameless(hc_models.HerokuConnectModel):
        pass

    errors = [e for e in Nameless.check() if e.id == "heroku_connect.E001"]
    assert len(errors) == 1
    assert errors[0].msg == 'hc_tests.Nameless must define a "sf_object_name".'
    assert errors[0].hint is None
    assert errors[0].obj is None


@isolate_apps(TESTS_APP)
def test_check_e002__bad_sf_access():
    """E002 names the allowed values; the hint is the bad value."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"
        sf_access = "write_only"

    (error,) = [e for e in Thing.check() if e.id == "heroku_connect.E002"]
    assert error.msg == "hc_tests.Thing.sf_access must be one of ['read_only', 'read_write']"
    assert error.hint == "write_only"


@isolate_apps(TESTS_APP)
def test_check_e003__duplicate_sf_field_names():
    """E003 lists each repeated Salesforce field name."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"
        a = hc_models.Text(sf_field_name="Name", max_length=5)
        b = hc_models.Text(sf_field_name="Name", max_length=5, db_column="b")
        c = hc_models.Text(sf_field_name="Name", max_length=5, db_column="c")

    (error,) = [e for e in Thing.check() if e.id == "heroku_connect.E003"]
    assert error.msg == "hc_tests.Thing has duplicate Salesforce field names."
    assert error.hint == ["Name", "Name"]


@isolate_apps(TESTS_APP)
def test_check_e004__several_upsert_fields():
    """E004 lists the upsert field objects."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"
        sf_access = base.READ_WRITE
        a = hc_models.ExternalID(sf_field_name="A__c")
        b = hc_models.ExternalID(sf_field_name="B__c")

    errors = Thing.check()
    (error,) = [e for e in errors if e.id == "heroku_connect.E004"]
    assert error.msg == "hc_tests.Thing can only have a single upsert field."
    assert error.hint == [Thing._meta.get_field("a"), Thing._meta.get_field("b")]
    assert "heroku_connect.E007" not in _ids(errors)


@isolate_apps(TESTS_APP)
def test_check_e007__read_write_without_upsert_field():
    """E007 fires for read-write models without an upsert field, not for read-only ones."""

    class Writable(hc_models.HerokuConnectModel):
        sf_object_name = "Writable__c"
        sf_access = base.READ_WRITE

    class Readable(hc_models.HerokuConnectModel):
        sf_object_name = "Readable__c"

    (error,) = [e for e in Writable.check() if e.id == "heroku_connect.E007"]
    assert error.msg == "hc_tests.Writable does not have an upsert field."
    assert error.hint == "Read-write models need an upsert field."
    assert Readable.check() == []


@isolate_apps(TESTS_APP)
def test_checks__order():
    """Model checks run in the documented order."""

    class Bad(hc_models.HerokuConnectModel):
        sf_access = "nope"
        a = hc_models.Text(sf_field_name="A", max_length=5, upsert=True)
        b = hc_models.Text(sf_field_name="A", max_length=5, upsert=True, db_column="b")

    assert _ids(Bad.check()) == [
        "heroku_connect.E001",
        "heroku_connect.E002",
        "heroku_connect.E003",
        "heroku_connect.E004",
    ]
