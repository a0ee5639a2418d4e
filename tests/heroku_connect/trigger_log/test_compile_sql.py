"""TriggerLog._compile_sql renders psycopg2 (and psycopg 3) sql.Composed exactly like psycopg2."""

from __future__ import annotations

import datetime
import decimal

import psycopg
import psycopg2
import psycopg2.sql as sql2
import pytest
from django.db import connection
from psycopg import sql as sql3

from heroku_connect.models import TriggerLog
from heroku_connect.trigger_log import render_composed, render_literal

LITERALS = [
    "plain",
    "o'clock",
    "back\\slash",
    "",
    "multi\nline",
    0,
    42,
    -7,
    10**20,
    1.5,
    -2.25,
    -0.0,
    1e100,
    float("nan"),
    float("inf"),
    float("-inf"),
    decimal.Decimal("1.20"),
    decimal.Decimal("-3"),
    decimal.Decimal("NaN"),
    decimal.Decimal("Infinity"),
    True,
    False,
    None,
    [1, -2],
    [],
    ["a", None],
    [[1, 2], [3, 4]],
    (1, "x"),
    ("x",),
    datetime.date(2020, 1, 2),
    datetime.datetime(2020, 1, 2, 3, 4, 5),
    datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    datetime.time(1, 2, 3),
    datetime.time(1, 2, 3, tzinfo=datetime.UTC),
    datetime.timedelta(days=-1, seconds=5, microseconds=7),
    b"ab",
    bytearray(b"z"),
]


def _psycopg2_connection(**kwargs):
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        **kwargs,
    )


@pytest.fixture
def pg2(db):
    conn = _psycopg2_connection()
    try:
        yield conn
    finally:
        conn.close()


def _capture_query_psycopg2():
    """The shape of query the public package built for capture_insert_from_model."""
    return sql2.SQL(
        "SELECT {schema}.hc_capture_insert_from_row(hstore({schema}.{table}.*), {name}, "
        "ARRAY[{excluded}]::text[]) AS id FROM {schema}.{table} WHERE id = {record_id}"
    ).format(
        schema=sql2.Identifier("salesforce"),
        table=sql2.Identifier("number_object__c"),
        name=sql2.Placeholder(),
        excluded=sql2.SQL(", ").join([sql2.Literal("a_number__c"), sql2.Literal("x'y")]),
        record_id=sql2.Placeholder("record_id"),
    )


def test_compile_sql__psycopg2_composed_matches_psycopg2(pg2):
    """A psycopg2 Composed renders to exactly psycopg2's own as_string()."""
    composed = _capture_query_psycopg2()
    rendered = TriggerLog._compile_sql(TriggerLog, composed)
    assert rendered == composed.as_string(pg2)
    assert rendered == (
        'SELECT "salesforce".hc_capture_insert_from_row(hstore("salesforce"."number_object__c".*),'
        " %s, ARRAY['a_number__c', 'x''y']::text[]) AS id FROM \"salesforce\".\"number_object__c\""
        " WHERE id = %(record_id)s"
    )


@pytest.mark.parametrize("value", LITERALS, ids=repr)
def test_render_literal__matches_psycopg2(pg2, value):
    """Every supported literal renders exactly like psycopg2's sql.Literal."""
    expected = sql2.Literal(value).as_string(pg2)
    assert TriggerLog._compile_sql(TriggerLog, sql2.Literal(value)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["back\\slash", "x", b"ab", ["a\\b"], ("q'",)], ids=repr)
def test_render_literal__without_standard_conforming_strings(value):
    """With standard_conforming_strings off, strings use E'' quoting like psycopg2."""
    conn = _psycopg2_connection(options="-c standard_conforming_strings=off")
    try:
        expected = sql2.Literal(value).as_string(conn)
    finally:
        conn.close()
    assert render_literal(value, standard_conforming_strings=False) == expected


def test_render_composed__identifiers_and_placeholders():
    """Identifiers are double-quoted (quotes doubled); placeholders keep their names."""
    composed = sql2.Composed(
        [sql2.Identifier('we"ird', "t"), sql2.SQL(" "), sql2.Placeholder(), sql2.Placeholder("n")]
    )
    assert render_composed(composed) == '"we""ird"."t" %s%(n)s'


@pytest.mark.django_db
def test_compile_sql__psycopg3_composed():
    """A psycopg 3 Composed renders its SQL, identifiers, literals and placeholders too."""
    composed = sql3.SQL("SELECT {} FROM {} WHERE a = {} AND b = {} AND c = {}").format(
        sql3.Identifier("col"),
        sql3.Identifier("salesforce", "account"),
        sql3.Literal("it's"),
        sql3.Placeholder(),
        sql3.Placeholder("name", psycopg.sql.PyFormat.BINARY),
    )
    assert TriggerLog._compile_sql(TriggerLog, composed) == (
        'SELECT "col" FROM "salesforce"."account" WHERE a = \'it\'\'s\' AND b = %s AND c = %(name)b'
    )


def test_render__rejects_other_objects_and_unadaptable_literals():
    """Non-Composable objects and unsupported literal types raise TypeError; NUL ValueError."""
    with pytest.raises(TypeError, match="Composable"):
        render_composed("SELECT 1")
    with pytest.raises(TypeError, match="can't adapt type 'dict'"):
        render_composed(sql2.Literal({"a": 1}))
    with pytest.raises(ValueError, match="NUL"):
        render_literal("a\x00b")
