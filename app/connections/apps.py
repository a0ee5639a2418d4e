from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "app.connections"
    label = "connections"
    verbose_name = "Heroku Connect connections"
