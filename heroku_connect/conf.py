import os

from appconf import AppConf
from django.conf import settings

__all__ = ("settings",)


class HerokuConnectAppConf(AppConf):
    HEROKU_CONNECT_SCHEMA = os.environ.get("HEROKU_CONNECT_SCHEMA", "salesforce")

    class Meta:
        prefix = "heroku_connect"
