"""Salesforce field classes: options, column types and conversions."""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection

from app.salesforce.models import Account, Project
from heroku_connect.db import models as hc_models
from heroku_connect.db.models import fields


def test_mixin__requires_sf_field_name():
    """Omitting sf_field_name raises KeyError."""
    with pytest.raises(KeyError):
        hc_models.Text(max_length=10)


def test_mixin__column_defaults_to_lowercase_name_and_null():
    """db_column defaults to the lower-case API name and fields are nullable."""
    field = hc_models.Text(sf_field_name="Some_Field__c", max_length=10)
    assert field.db_column == "some_field__c"
    assert field.null is True
    assert field.upsert is False


def test_mixin__explicit_db_column_and_null_win():
    """Explicit db_column and null are kept."""
    field = hc_models.Text(sf_field_name="X", db_column="other", null=False, max_length=3)
    assert (field.db_column, field.null) == ("other", False)


def test_mixin__upsert_forces_unique_and_index():
    """upsert=True makes the field unique and indexed."""
    field = hc_models.Text(sf_field_name="Key__c", max_length=10, upsert=True)
    assert (field.upsert, field.unique, field.db_index) == (True, True, True)


def test_mixin__unique_implies_index():
    """Unique fields are always indexed."""
    field = hc_models.Text(sf_field_name="Key__c", max_length=10, unique=True)
    assert field.db_index is True


def test_mixin__deconstruct_adds_sf_field_name_and_upsert():
    """deconstruct() always reports sf_field_name and upsert."""
    _, path, _, kwargs = hc_models.Text(sf_field_name="A", max_length=5).deconstruct()
    assert path == "heroku_connect.db.models.fields.Text"
    assert kwargs["sf_field_name"] == "A"
    assert kwargs["upsert"] is False


def test_all__lists_every_field_class():
    """fields.__all__ names every public field class."""
    assert set(fields.__all__) == {
        "HerokuConnectFieldMixin", "AnyType", "ID", "ExternalID", "Checkbox", "Number",
        "Currency", "Date", "DateTime", "Email", "EncryptedString", "Percent", "Phone",
        "Picklist", "Text", "TextArea", "TextAreaLong", "Time", "URL",
    }  # fmt: skip
    for name in fields.__all__:
        assert getattr(hc_models, name) is getattr(fields, name)


@pytest.mark.parametrize(
    ("field", "db_type"),
    [
        (hc_models.AnyType(sf_field_name="A"), "text"),
        (hc_models.ID(sf_field_name="Id"), "varchar(18)"),
        (hc_models.ExternalID(sf_field_name="E"), "varchar(32)"),
        (hc_models.Checkbox(sf_field_name="C"), "boolean"),
        (hc_models.Number(sf_field_name="N", max_digits=5, decimal_places=2), "double precision"),
        (hc_models.Currency(sf_field_name="C", max_digits=5, decimal_places=2), "double precision"),
        (hc_models.Percent(sf_field_name="P", max_digits=5, decimal_places=2), "double precision"),
        (hc_models.Date(sf_field_name="D"), "date"),
        (hc_models.DateTime(sf_field_name="D"), "timestamp without time zone"),
        (hc_models.Email(sf_field_name="E"), "varchar(80)"),
        (hc_models.EncryptedString(sf_field_name="E", max_length=20), "varchar(20)"),
        (hc_models.Phone(sf_field_name="P"), "varchar(40)"),
        (hc_models.Picklist(sf_field_name="P", choices=[("a", "A")]), "varchar(255)"),
        (hc_models.Text(sf_field_name="T", max_length=11), "varchar(11)"),
        (hc_models.Text(sf_field_name="T"), "varchar"),
        (hc_models.TextArea(sf_field_name="T"), "varchar(255)"),
        (hc_models.TextAreaLong(sf_field_name="T"), "text"),
        (hc_models.Time(sf_field_name="T"), "time"),
        (hc_models.URL(sf_field_name="U"), "varchar(255)"),
    ],
)
def test_field__column_type(field, db_type):
    """Each field class gets Heroku Connect's PostgreSQL column type."""
    assert field.db_type(connection) == db_type


def test_id__forced_options():
    """ID forces max_length 18, not editable, nullable; unique by default but overridable."""
    field = hc_models.ID(sf_field_name="Id", max_length=5, editable=True, null=False)
    assert (field.max_length, field.editable, field.null, field.unique) == (18, False, True, True)
    assert hc_models.ID(sf_field_name="X", unique=False).unique is False


def test_checkbox__always_nullable():
    """Checkbox ignores null=False."""
    assert hc_models.Checkbox(sf_field_name="C", null=False).null is True


def test_email_and_phone__max_length_forced():
    """Email is always 80 characters, Phone 40."""
    assert hc_models.Email(sf_field_name="E", max_length=200).max_length == 80
    assert hc_models.Phone(sf_field_name="P", max_length=200).max_length == 40


def test_picklist__requires_choices():
    """Picklist without choices raises KeyError."""
    with pytest.raises(KeyError):
        hc_models.Picklist(sf_field_name="P")


def test_picklist__max_length_from_longest_flattened_choice():
    """max_length is max(255, longest choice value), grouped choices flattened."""
    long_value = "x" * 300
    field = hc_models.Picklist(
        sf_field_name="P", choices=[("a", "A"), ("Group", [(long_value, "Long")])]
    )
    assert field.max_length == 300
    assert hc_models.Picklist(sf_field_name="P", choices=[("a", "A")], max_length=3).max_length == 3


def test_textarea__formfield_uses_textarea_unless_choices():
    """TextArea edits in a <textarea>, or a select when it has choices."""
    plain = hc_models.TextArea(sf_field_name="T").formfield()
    assert isinstance(plain.widget, forms.Textarea)
    assert plain.max_length == 255
    with_choices = hc_models.TextArea(sf_field_name="T", choices=[("a", "A")]).formfield()
    assert isinstance(with_choices.widget, forms.Select)


def test_url__default_max_length():
    """URL defaults to 255 characters; an explicit length wins."""
    assert hc_models.URL(sf_field_name="U").max_length == 255
    assert hc_models.URL(sf_field_name="U", max_length=100).max_length == 100


def test_external_id__defaults():
    """ExternalID is the upsert field with a uuid4 default."""
    field = hc_models.ExternalID(sf_field_name="External_ID__c")
    assert (field.upsert, field.unique, field.db_index, field.max_length) == (True, True, True, 32)
    assert field.get_internal_type() == "CharField"
    assert isinstance(field.get_default(), uuid.UUID)


@pytest.mark.parametrize(
    "value",
    [
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "12345678123456781234567812345678",
        "12345678-1234-5678-1234-567812345678",
        0x12345678123456781234567812345678,
    ],
)
def test_external_id__stored_as_hex(value):
    """UUIDs, hex or dashed strings and ints are stored as 32 lower-case hex characters."""
    field = hc_models.ExternalID(sf_field_name="E")
    assert field.get_db_prep_value(value, connection) == "12345678123456781234567812345678"
    assert field.get_db_prep_save(value, connection) == "12345678123456781234567812345678"


def test_external_id__none_and_invalid():
    """None stays None; an invalid value raises ValidationError."""
    field = hc_models.ExternalID(sf_field_name="E")
    assert field.get_db_prep_value(None, connection) is None
    with pytest.raises(ValidationError):
        field.get_db_prep_value("not-a-uuid", connection)


@pytest.mark.parametrize(
    ("stored", "max_digits", "expected"),
    [(100.0, 5, "100"), (1.234, 3, "1.23"), (18.0, 1, "2E+1"), (None, 3, None)],
)
def test_number__from_db_uses_max_digits_precision(stored, max_digits, expected):
    """Floats read back as Decimals with max_digits significant digits, not quantized."""
    field = hc_models.Number(sf_field_name="N", max_digits=max_digits, decimal_places=2)
    result = field.from_db_value(stored, None, connection)
    if expected is None:
        assert result is None
    else:
        assert result == Decimal(expected)
        assert str(result) == expected


def test_number__to_db_is_float():
    """Values are written as floats; None stays None."""
    field = hc_models.Number(sf_field_name="N", max_digits=5, decimal_places=2)
    assert field.get_db_prep_save(Decimal("1.25"), connection) == 1.25
    assert isinstance(field.get_db_prep_value("2.5", connection), float)
    assert field.get_db_prep_value(None, connection) is None


def test_datetime__naive_from_db_gets_utc_attached():
    """A naive value from the database is made aware in UTC without conversion."""
    field = hc_models.DateTime(sf_field_name="D")
    naive = datetime.datetime(2024, 5, 1, 12, 30)
    result = field.from_db_value(naive, None, connection)
    assert result == datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    assert field.from_db_value(None, None, connection) is None


@pytest.mark.django_db
def test_fields__round_trip_through_the_database():
    """Currency, ExternalID and DateTime values survive a save and a reload."""
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    stamp = datetime.datetime(2024, 1, 15, 13, 0, tzinfo=berlin)
    account = Account.objects.create(
        name="Acme", annual_revenue=Decimal("1234.5"), system_mod_stamp=stamp
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT annualrevenue, external_id__c, systemmodstamp FROM salesforce.account "
            "WHERE id = %s",
            [account.pk],
        )
        revenue, external_id, raw_stamp = cursor.fetchone()
    assert revenue == 1234.5
    assert external_id == account.external_id.hex
    # Stored as UTC wall time in a timestamp without time zone.
    assert raw_stamp == datetime.datetime(2024, 1, 15, 12, 0)
    account.refresh_from_db()
    assert account.annual_revenue == Decimal("1234.5")
    assert account.system_mod_stamp == stamp
    assert account.system_mod_stamp.tzinfo == datetime.UTC
    assert isinstance(account.external_id, uuid.UUID)


@pytest.mark.django_db
def test_external_id__lookup_by_hex_or_uuid():
    """Filtering by the UUID, its hex or its dashed string finds the row."""
    project = Project.objects.create(name="P")
    for value in (project.external_id, project.external_id.hex, str(project.external_id)):
        assert Project.objects.filter(external_id=value).get() == project


@pytest.mark.django_db
def test_fields__bulk_update_and_aggregates():
    """bulk_update casts to the Heroku Connect column types; Sum reads back as Decimal."""
    from django.db.models import Sum

    accounts = Account.objects.bulk_create(
        [Account(name="A", annual_revenue=Decimal("1.5")), Account(name="B")]
    )
    new_ids = [uuid.uuid4(), uuid.uuid4()]
    stamp = datetime.datetime(2024, 2, 1, 8, 0, tzinfo=datetime.UTC)
    for account, external_id in zip(accounts, new_ids, strict=True):
        account.annual_revenue = Decimal("2.25")
        account.external_id = external_id
        account.system_mod_stamp = stamp
    Account.objects.bulk_update(accounts, ["annual_revenue", "external_id", "system_mod_stamp"])
    assert set(Account.objects.values_list("external_id", flat=True)) == set(new_ids)
    assert Account.objects.aggregate(total=Sum("annual_revenue"))["total"] == Decimal("4.5")
    assert set(Account.objects.values_list("system_mod_stamp", flat=True)) == {stamp}
