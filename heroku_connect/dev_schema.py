"""Create Heroku Connect's database objects for tests and development.

:func:`create_heroku_connect_schema` builds one of two schemas, in one transaction:

* by default the **tables only**, as the public django-heroku-connect package creates them for
  test databases: the schema, the ``hstore`` extension, one table per connected model and the
  two trigger-log tables, made by Django's schema editor from the models. There are no
  triggers, so a test's ``MyModel.objects.create()`` writes no trigger-log row it did not ask
  for, and no ``hc_capture_*`` functions;
* with ``development=True`` the **development schema**: what real Heroku Connect creates (see
  :mod:`heroku_connect.schema`): ``_hcmeta``, ``_sf_event_log``, the trigger-log tables, the
  capture functions and, for every connected model, its table with Heroku Connect's column
  types, indexes and capture triggers. The Django models keep their own field types; where
  Heroku Connect differs (``id`` is ``serial``), both work together.

``manage.py create_development_schema`` builds the development schema; test databases get the
tables only unless ``HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA`` is true (see
:mod:`heroku_connect.db.backends.base.creation`). In both, ``_trigger_log_archive.id`` has a
default, so fixtures can create archive rows without an id.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from heroku_connect import schema
from heroku_connect.conf import settings
from heroku_connect.db.models.base import HerokuConnectModel
from heroku_connect.mapping import get_heroku_connect_models

__all__ = ("create_heroku_connect_schema", "model_table_sql", "schema_exists")


def schema_exists(name: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def model_columns(
    model: type[HerokuConnectModel], connection: BaseDatabaseWrapper
) -> tuple[list[schema.ColumnSpec], dict[str, bool]]:
    """The data columns (``ColumnSpec``) and single-column indexes ``{column: unique}``.

    ``id`` is left out: Heroku Connect always creates it as ``serial``.
    """
    columns: list[schema.ColumnSpec] = []
    indexes: dict[str, bool] = {}
    for field in model._meta.concrete_fields:
        if field.column == "id":
            continue
        sql_type = field.db_type(connection)
        if sql_type is None:
            continue
        columns.append(schema.ColumnSpec(field.column, sql_type))
        if field.unique:
            indexes[field.column] = True
        elif field.db_index:
            indexes[field.column] = False
    return columns, indexes


def model_table_sql(
    model: type[HerokuConnectModel], connection: BaseDatabaseWrapper, schema_name: str
) -> list[str]:
    """Statements creating ``model``'s table, indexes and triggers in ``schema_name``."""
    columns, indexes = model_columns(model, connection)
    return schema.mapped_table_sql(
        schema_name,
        model.get_heroku_connect_table_name(),
        columns,
        indexes,
        access=model.sf_access,
    )


def create_heroku_connect_schema(
    using: str = DEFAULT_DB_ALIAS, *, development: bool = False
) -> bool:
    """Create the Heroku Connect schema with every connected model's table.

    Tables only by default (as the public package does); with ``development`` what Heroku
    Connect creates, capture triggers included. Returns ``False`` (and changes nothing) when the
    schema ``HEROKU_CONNECT_SCHEMA`` already exists, ``True`` after creating it. Everything
    happens in one transaction.
    """
    schema_name = settings.HEROKU_CONNECT_SCHEMA
    if schema_exists(schema_name, using=using):
        return False
    with transaction.atomic(using=using):
        if development:
            _create_development_schema(connections[using], schema_name)
        else:
            _create_tables(connections[using], schema_name)
    return True


def _create_development_schema(connection: BaseDatabaseWrapper, schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema.quote_ident(schema_name)}")
        schema.execute_all(cursor, schema.metadata_sql(schema_name))
        statement, params = schema.hcmeta_insert_sql(
            schema_name, settings.HEROKU_CONNECT_ORGANIZATION_ID
        )
        cursor.execute(statement, params)
        for model in get_heroku_connect_models():
            schema.execute_all(cursor, model_table_sql(model, connection, schema_name))


def _create_tables(connection: BaseDatabaseWrapper, schema_name: str) -> None:
    """The public package's test tables: Django's ``CREATE TABLE`` for each model, nothing else.

    The tables go where the models' ``db_table`` says (the schema read when they were defined).
    Unmanaged models get no non-unique indexes from Django's schema editor.
    """
    from heroku_connect.models import TriggerLog, TriggerLogArchive

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema.quote_ident(schema_name)}")
    with connection.schema_editor() as editor:
        for model in get_heroku_connect_models():
            editor.create_model(model)
        editor.execute('CREATE EXTENSION IF NOT EXISTS "hstore"')
        editor.create_model(TriggerLog)
        editor.create_model(TriggerLogArchive)
