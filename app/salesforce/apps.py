from django.apps import AppConfig


class SalesforceConfig(AppConfig):
    name = "app.salesforce"
    label = "salesforce"
    verbose_name = "Salesforce (example connected models)"
