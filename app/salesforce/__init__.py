"""Example connected models: fork and adapt them to your own Salesforce org."""
