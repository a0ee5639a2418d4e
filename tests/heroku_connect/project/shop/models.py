"""The shop's Salesforce objects, and one model of its own that refers to them."""

from django.db import models

from heroku_connect.db import models as hc_models


class AbstractContact(hc_models.HerokuConnectModel):
    """A reusable contact (as a reusable app would ship it); the project subclasses it."""

    sf_object_name = "Contact"
    sf_access = hc_models.READ_WRITE

    last_name = hc_models.Text(sf_field_name="LastName", max_length=80)
    email = hc_models.Email(sf_field_name="Email")
    external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    class Meta:
        abstract = True


class Account(hc_models.HerokuConnectModel):
    sf_object_name = "Account"
    sf_access = hc_models.READ_ONLY

    name = hc_models.Text(sf_field_name="Name", max_length=255)

    def __str__(self):
        return self.name or ""


class Contact(AbstractContact):
    sf_object_name = "Contact"

    account = hc_models.Lookup(
        Account,
        sf_field_name="AccountId",
        to_field="sf_id",
        on_delete=models.DO_NOTHING,
        related_name="contacts",
    )

    def __str__(self):
        return self.last_name or ""


class Subscription(models.Model):
    """The shop's own table, pointing at a contact by its External ID (no database constraint)."""

    contact = models.ForeignKey(
        Contact, to_field="external_id", db_constraint=False, on_delete=models.DO_NOTHING
    )
    newsletter = models.CharField(max_length=50)

    def __str__(self):
        return self.newsletter
