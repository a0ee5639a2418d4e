"""Create Heroku Connect's database objects for development and tests.

:func:`create_heroku_connect_schema` builds, in one transaction, what real Heroku Connect
creates (see :mod:`heroku_connect.schema`): the schema, ``_hcmeta``, ``_sf_event_log``, the
trigger-log tables, the capture functions and, for every connected model, its table with
Heroku Connect's column types, indexes and capture triggers. The Django models keep their own
field types; where Heroku Connect differs (``id`` is ``serial``), both work together.
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


def create_heroku_connect_schema(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the Heroku Connect schema with every connected model's table.

    Returns ``False`` (and changes nothing) when the schema ``HEROKU_CONNECT_SCHEMA`` already
    exists, ``True`` after creating it. Everything happens in one transaction.
    """
    schema_name = settings.HEROKU_CONNECT_SCHEMA
    if schema_exists(schema_name, using=using):
        return False
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema.quote_ident(schema_name)}")
        schema.execute_all(cursor, schema.metadata_sql(schema_name))
        statement, params = schema.hcmeta_insert_sql(
            schema_name, settings.HEROKU_CONNECT_ORGANIZATION_ID
        )
        cursor.execute(statement, params)
        for model in get_heroku_connect_models():
            schema.execute_all(cursor, model_table_sql(model, connection, schema_name))
    return True
