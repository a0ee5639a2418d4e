from django.apps import AppConfig


class HerokuConnectAppConfig(AppConfig):
    name = "heroku_connect"
    verbose_name = "Heroku Connect"
