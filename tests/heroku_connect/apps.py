"""App config so test modules here can define throw-away models (with ``isolate_apps``)."""

from django.apps import AppConfig


class HerokuConnectTestsConfig(AppConfig):
    name = "tests.heroku_connect"
    label = "hc_tests"
