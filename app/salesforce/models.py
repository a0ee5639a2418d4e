"""Example connected models: fork and adapt them to your own Salesforce org.

Each model maps one Salesforce object to the table Heroku Connect keeps in the
``HEROKU_CONNECT_SCHEMA`` schema. ``User`` and ``RecordType`` are read-only mappings; ``Account``,
``Contact`` and the custom object ``Project__c`` are read-write, so each has a UUID External ID
(``External_ID__c``, a Text(32) External ID in Salesforce) as its upsert field. Lookups point at
the target's ``sf_id`` (``to_field="sf_id"``), never at the local ``id``.

To adapt: rename or drop fields to match your org's objects (``sf_field_name`` is the field's
API name), run ``manage.py makemappings`` and import the result into your connection.
"""

from django.db import models

from heroku_connect.db import models as hc_models


class User(hc_models.HerokuConnectModel):
    sf_object_name = "User"
    sf_access = hc_models.READ_ONLY

    name = hc_models.Text(sf_field_name="Name", max_length=121)
    email = hc_models.Email(sf_field_name="Email")
    username = hc_models.Text(sf_field_name="Username", max_length=80)
    is_active = hc_models.Checkbox(sf_field_name="IsActive")

    class Meta:
        verbose_name = "Salesforce user"

    def __str__(self) -> str:
        return self.name or self.username or str(self.sf_id)


class RecordType(hc_models.HerokuConnectModel):
    sf_object_name = "RecordType"
    sf_access = hc_models.READ_ONLY

    name = hc_models.Text(sf_field_name="Name", max_length=80)
    developer_name = hc_models.Text(sf_field_name="DeveloperName", max_length=80)
    sobject_type = hc_models.Text(sf_field_name="SobjectType", max_length=40)
    is_active = hc_models.Checkbox(sf_field_name="IsActive")

    def __str__(self) -> str:
        return f"{self.sobject_type}: {self.name}"


class Account(hc_models.HerokuConnectModel):
    sf_object_name = "Account"
    sf_access = hc_models.READ_WRITE

    class Industry(models.TextChoices):
        AGRICULTURE = "Agriculture"
        BANKING = "Banking"
        CONSULTING = "Consulting"
        EDUCATION = "Education"
        ENERGY = "Energy"
        HEALTHCARE = "Healthcare"
        MANUFACTURING = "Manufacturing"
        RETAIL = "Retail"
        TECHNOLOGY = "Technology"
        OTHER = "Other"

    name = hc_models.Text(sf_field_name="Name", max_length=255)
    account_number = hc_models.Text(sf_field_name="AccountNumber", max_length=40)
    industry = hc_models.Picklist(sf_field_name="Industry", choices=Industry.choices)
    phone = hc_models.Phone(sf_field_name="Phone")
    website = hc_models.URL(sf_field_name="Website")
    annual_revenue = hc_models.Currency(
        sf_field_name="AnnualRevenue", max_digits=18, decimal_places=2
    )
    number_of_employees = hc_models.Number(
        sf_field_name="NumberOfEmployees", max_digits=8, decimal_places=0
    )
    owner = hc_models.Lookup(
        User,
        sf_field_name="OwnerId",
        to_field="sf_id",
        on_delete=models.DO_NOTHING,
        related_name="accounts",
    )
    record_type = hc_models.Lookup(
        RecordType,
        sf_field_name="RecordTypeId",
        to_field="sf_id",
        on_delete=models.DO_NOTHING,
        related_name="accounts",
    )
    external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    def __str__(self) -> str:
        return self.name or str(self.external_id)


class Contact(hc_models.HerokuConnectModel):
    sf_object_name = "Contact"
    sf_access = hc_models.READ_WRITE

    first_name = hc_models.Text(sf_field_name="FirstName", max_length=40)
    last_name = hc_models.Text(sf_field_name="LastName", max_length=80)
    email = hc_models.Email(sf_field_name="Email")
    phone = hc_models.Phone(sf_field_name="Phone")
    birthdate = hc_models.Date(sf_field_name="Birthdate")
    account = hc_models.Lookup(
        Account,
        sf_field_name="AccountId",
        to_field="sf_id",
        on_delete=models.DO_NOTHING,
        related_name="contacts",
    )
    external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    def __str__(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Project(hc_models.HerokuConnectModel):
    """A custom object (API name ``Project__c``)."""

    sf_object_name = "Project__c"
    sf_access = hc_models.READ_WRITE

    class Status(models.TextChoices):
        PLANNED = "Planned"
        ACTIVE = "Active"
        ON_HOLD = "On Hold"
        DONE = "Done"

    name = hc_models.Text(sf_field_name="Name", max_length=80)
    status = hc_models.Picklist(sf_field_name="Status__c", choices=Status.choices)
    budget = hc_models.Currency(sf_field_name="Budget__c", max_digits=16, decimal_places=2)
    start_date = hc_models.Date(sf_field_name="Start_Date__c")
    account = hc_models.Lookup(
        Account,
        sf_field_name="Account__c",
        to_field="sf_id",
        on_delete=models.DO_NOTHING,
        related_name="projects",
    )
    description = hc_models.TextAreaLong(sf_field_name="Description__c")
    external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    def __str__(self) -> str:
        return self.name or str(self.external_id)
