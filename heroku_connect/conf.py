"""Settings of the ``heroku_connect`` library, with defaults from the environment.

Importing this module installs the defaults into ``django.conf.settings`` (django-appconf); a
project setting of the same name wins. Every other module reads ``settings.<NAME>`` when it
needs the value, never at import time, so ``override_settings`` works.

=========================================== ====================================================
setting                                     default
=========================================== ====================================================
``HEROKU_CONNECT_SCHEMA``                   env ``HEROKU_CONNECT_SCHEMA``, else ``"salesforce"``
``HEROKU_CONNECT_ORGANIZATION_ID``          env ``HEROKU_CONNECT_ORGANIZATION_ID``, else ``""``
``HEROKU_CONNECT_APP_NAME``                 env ``HEROKU_APP_NAME``, else ``""``
``HEROKU_CONNECT_API_ENDPOINT``             env ``HEROKU_CONNECT_API_ENDPOINT``, else the EU API
``HEROKU_AUTH_TOKEN``                       env ``HEROKU_AUTH_TOKEN``, else ``""``
``HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS`` ``300``
``HEROKU_CONNECT_HEALTH_CACHE_SECONDS``     ``0`` (off: each health check asks the API)
``HEROKU_CONNECT_API_TIMEOUT``              ``30`` (seconds per API call)
``HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA``  ``False``: test databases get the tables only
``HEROKU_CONNECT_API_RETRIES``              ``2`` (retries of an idempotent call)
``HEROKU_CONNECT_API_RETRY_BACKOFF``        ``0.5`` (seconds, doubled per retry, jittered)
``HEROKU_CONNECT_API_RETRY_MAX_WAIT``       ``10`` (longest wait, ``Retry-After`` included)
=========================================== ====================================================
"""

import os

from appconf import AppConf
from django.conf import settings

__all__ = ("settings",)

DEFAULT_API_ENDPOINT = "https://connect-eu.heroku.com/api/v3"


class HerokuConnectAppConf(AppConf):
    """Settings named ``HEROKU_CONNECT_*``."""

    HEROKU_CONNECT_SCHEMA = os.environ.get("HEROKU_CONNECT_SCHEMA", "salesforce")
    HEROKU_CONNECT_ORGANIZATION_ID = os.environ.get("HEROKU_CONNECT_ORGANIZATION_ID", "")
    HEROKU_CONNECT_APP_NAME = os.environ.get("HEROKU_APP_NAME", "")
    HEROKU_CONNECT_API_ENDPOINT = os.environ.get(
        "HEROKU_CONNECT_API_ENDPOINT", DEFAULT_API_ENDPOINT
    )
    #: How long the connections' write algorithm is cached (seconds).
    HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS = 300
    #: How long the health check reuses Heroku Connect API answers (seconds); 0 asks every time,
    #: like the public package. Set it to share answers between probes (see heroku_connect.health).
    HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 0
    #: Seconds per Heroku Connect API call (the public package's fixed 30 s by default).
    HEROKU_CONNECT_API_TIMEOUT = 30
    #: Build test databases with the development schema (capture triggers, ``hc_capture_*``
    #: functions, ``_hcmeta``) instead of the public package's plain tables.
    HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA = False
    #: Retries of an idempotent API call (GET) after a connection error, 429, 502, 503 or 504.
    HEROKU_CONNECT_API_RETRIES = 2
    #: First backoff ceiling in seconds, doubled per retry (the wait is random below it).
    HEROKU_CONNECT_API_RETRY_BACKOFF = 0.5
    #: The longest wait before a retry; a longer ``Retry-After`` is not waited for.
    HEROKU_CONNECT_API_RETRY_MAX_WAIT = 10

    class Meta:
        prefix = "heroku_connect"


class HerokuAuthAppConf(AppConf):
    """``HEROKU_AUTH_TOKEN``: a bearer token for the Heroku Connect API.

    It lives in its own AppConf with the prefix ``heroku`` so that django-appconf installs it
    under its real name (the public package's single AppConf installed it as
    ``HEROKU_CONNECT_HEROKU_AUTH_TOKEN``, so the environment variable was ignored).
    """

    HEROKU_AUTH_TOKEN = os.environ.get("HEROKU_AUTH_TOKEN", "")

    class Meta:
        prefix = "heroku"
