"""The shop's connected models on the default test database."""

import io
import json

import pytest
from django.core.management import call_command

from heroku_connect.db.exceptions import WriteNotSupportedError
from heroku_connect.models import TriggerLog
from heroku_connect.test.utils import no_heroku_connect_write_restrictions
from tests.heroku_connect.project import factories
from tests.heroku_connect.project.shop.models import AbstractContact, Account, Contact, Subscription


@pytest.mark.django_db
def test_creating_and_changing_a_contact_writes_no_trigger_log_row():
    contact = factories.contact(last_name="Doe")
    Contact.objects.filter(pk=contact.pk).update(email="doe@example.com")
    contact.delete()
    assert TriggerLog.objects.count() == 0


@pytest.mark.django_db
def test_contact_round_trip():
    contact = factories.contact(last_name="Doe", email="doe@example.com")
    loaded = Contact.objects.get(external_id=contact.external_id)
    assert (loaded.last_name, loaded.email, loaded._hc_lastop) == ("Doe", "doe@example.com", None)
    Subscription.objects.create(contact=loaded, newsletter="weekly")
    assert Subscription.objects.get().contact == loaded


def test_abstract_contact_has_the_contact_table():
    assert AbstractContact._meta.db_table == 'salesforce"."contact'
    assert AbstractContact._meta.managed is False
    assert Contact._meta.db_table == 'salesforce"."contact'
    assert Contact._meta.managed is False


@pytest.mark.django_db
def test_read_only_account_refuses_writes_unless_allowed():
    with pytest.raises(WriteNotSupportedError):
        Account.objects.create(name="Acme")
    with no_heroku_connect_write_restrictions():
        account = Account.objects.create(name="Acme", sf_id="001000000000001AAA")
    contact = factories.contact(account=account)
    assert list(account.contacts.all()) == [contact]


def test_system_checks_pass():
    call_command("check", stdout=io.StringIO())


def test_makemappings_lists_both_objects():
    out = io.StringIO()
    call_command("makemappings", stdout=out)
    mapping = json.loads(out.getvalue())
    assert [m["object_name"] for m in mapping["mappings"]] == ["Account", "Contact"]
    contact = mapping["mappings"][1]["config"]
    assert contact["upsert_field"] == "External_ID__c"
    assert {"LastName", "Email", "AccountId"} <= set(contact["fields"])
