"""Test-database creation that also builds the Heroku Connect development schema."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.creation import DatabaseCreation as PostgresDatabaseCreation
from django.db.models.signals import pre_migrate

_DISPATCH_UID = "heroku_connect.create_heroku_connect_schema"


def _create_heroku_connect_schema(**kwargs: Any) -> None:
    """``pre_migrate`` receiver: create the schema once, then disconnect itself."""
    from heroku_connect.dev_schema import create_heroku_connect_schema

    disconnected = pre_migrate.disconnect(_create_heroku_connect_schema, dispatch_uid=_DISPATCH_UID)
    if not disconnected:
        raise RuntimeError("The Heroku Connect pre_migrate receiver was not connected.")
    create_heroku_connect_schema(using=kwargs["using"])


class DatabaseCreation(PostgresDatabaseCreation):
    """Create the Heroku Connect schema in the test database before Django's own tables.

    With ``keepdb`` (``--reuse-db``) an existing schema is left alone.
    """

    def create_test_db(self, *args: Any, **kwargs: Any) -> str:
        pre_migrate.connect(_create_heroku_connect_schema, dispatch_uid=_DISPATCH_UID)
        try:
            return super().create_test_db(*args, **kwargs)
        finally:
            # Not connected any more once it has run; this only cleans up after failures.
            pre_migrate.disconnect(_create_heroku_connect_schema, dispatch_uid=_DISPATCH_UID)
