"""hstore_text_to_dict parses exactly like psycopg2's HstoreAdapter.parse."""

import random

import psycopg2
import pytest
from django.db import connection
from psycopg2.extras import HstoreAdapter

from heroku_connect.hstore import HstoreParseError
from heroku_connect.utils import hstore_text_to_dict

VALID = [
    "",
    '"a"=>"1"',
    '"a"=>"1", "b"=>NULL',
    '"a"=>"1","b"=>"2"',
    '"a" => "1" ,  "b"=>"2"',
    '"a"=>"1",',
    '"k,1"=>"v=>2", "new\nline"=>"x\ny"',
    r'"quo\"te"=>"back\\slash"',
    r'"esc\aped"=>"\x"',
    '""=>""',
    '"NULL"=>"NULL"',
    '"ü"=>"€ unicode"',
    '"dup"=>"1", "dup"=>"2"',
]

MALFORMED = [
    '"a"=>',
    "a=>1",
    ' "a"=>"1"',
    '"a"=>"1"\n',
    '"a"=>"1" "b"=>"2"',
    '"a"=>null',
    '"a"=>"1",,"b"=>"2"',
    '"a=>"1"',
    '"a\\\nb"=>"1"',
]


@pytest.mark.parametrize("text", VALID)
def test_hstore__same_result_as_psycopg2(text):
    """Valid literals give psycopg2's dict."""
    assert hstore_text_to_dict(text) == HstoreAdapter.parse(text, None)


@pytest.mark.parametrize("text", MALFORMED)
def test_hstore__malformed_text_raises_where_psycopg2_does(text):
    """Malformed literals raise a ValueError subclass naming the position."""
    with pytest.raises(psycopg2.InterfaceError):
        HstoreAdapter.parse(text, None)
    with pytest.raises(HstoreParseError, match="error parsing hstore") as excinfo:
        hstore_text_to_dict(text)
    assert isinstance(excinfo.value, ValueError)


def test_hstore__none():
    """None gives None."""
    assert hstore_text_to_dict(None) is None


def test_hstore__random_inputs_agree_with_psycopg2():
    """Random strings over the hstore alphabet: same dict, or both reject."""
    rng = random.Random(1234)
    alphabet = ['"', "\\", "=", ">", ",", " ", "\n", "a", "N", "U", "L", "é"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        try:
            expected = HstoreAdapter.parse(text, None)
        except psycopg2.InterfaceError:
            with pytest.raises(HstoreParseError):
                hstore_text_to_dict(text)
        else:
            assert hstore_text_to_dict(text) == expected, text


@pytest.mark.django_db
def test_hstore__parses_postgresql_output():
    """Text produced by PostgreSQL's hstore output round-trips."""
    source = {"plain": "v", "comma,key": "a,b", "quote": 'say "hi"', "slash": "a\\b", "nul": None}
    keys = list(source)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT public.hstore(%s::text[], %s::text[])::text", [keys, list(source.values())]
        )
        (text,) = cursor.fetchone()
    assert hstore_text_to_dict(text) == source
