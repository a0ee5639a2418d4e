"""Test-database creation that also builds the Heroku Connect schema.

By default the test database gets what the public django-heroku-connect package gives it: the
schema, ``_trigger_log``, ``_trigger_log_archive`` and the connected models' tables, without
capture triggers (a test's writes produce no trigger-log rows it did not create). With the
setting ``HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA = True`` it gets the development schema instead
(capture triggers, ``hc_capture_*`` functions, ``_hcmeta``, Heroku Connect's indexes); see
:mod:`heroku_connect.dev_schema`. For one test, use :mod:`heroku_connect.test.schema`.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.creation import DatabaseCreation as PostgresDatabaseCreation
from django.db.models.signals import pre_migrate


def _create_heroku_connect_schema(**kwargs: Any) -> None:
    """``pre_migrate`` receiver: create the schema once, then disconnect itself."""
    from heroku_connect.conf import settings
    from heroku_connect.dev_schema import create_heroku_connect_schema

    if not pre_migrate.disconnect(_create_heroku_connect_schema):
        raise RuntimeError("The Heroku Connect pre_migrate receiver was not connected.")
    create_heroku_connect_schema(
        using=kwargs["using"], development=settings.HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA
    )


class DatabaseCreation(PostgresDatabaseCreation):
    """Create the Heroku Connect schema in the test database before Django's own tables.

    With ``keepdb`` (``--reuse-db``) an existing schema is left alone.
    """

    def create_test_db(self, *args: Any, **kwargs: Any) -> str:
        pre_migrate.connect(_create_heroku_connect_schema)
        try:
            return super().create_test_db(*args, **kwargs)
        finally:
            # Not connected any more once it has run; this only cleans up after failures.
            pre_migrate.disconnect(_create_heroku_connect_schema)
