"""hstore_text_to_dict against psycopg2's HstoreAdapter on generated *well-formed* literals.

``test_hstore.py`` fuzzes random character soup (mostly malformed text); here the inputs are
built like PostgreSQL's hstore output (quoted keys and values, ``\\"`` and ``\\\\`` escapes,
``NULL``, commas, ``=>`` and newlines inside values) with random spacing, and then mutated.
"""

import random

import psycopg2
import pytest
from psycopg2.extras import HstoreAdapter

from heroku_connect.hstore import HstoreParseError
from heroku_connect.utils import hstore_text_to_dict

_PIECES = ["a", "Z", "9", " ", ",", "=>", "=", ">", '"', "\\", "\n", "\t", "NULL", "é", "€", "{}"]
_SEPARATORS = [", ", ",", " , ", ",\n", "  ,  "]
_ARROWS = ["=>", " => ", "=> ", " =>", "\t=>\n"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(rng: random.Random) -> tuple[str, dict]:
    pairs = []
    for _ in range(rng.randint(0, 5)):
        key = _text(rng)
        value = None if rng.random() < 0.2 else _text(rng)
        pairs.append((key, value))
    text = rng.choice(_SEPARATORS).join(
        _quoted(key) + rng.choice(_ARROWS) + ("NULL" if value is None else _quoted(value))
        for key, value in pairs
    )
    return text, dict(pairs)


def _outcome(parse, text):
    try:
        return "ok", parse(text)
    except (psycopg2.InterfaceError, HstoreParseError):
        return "error", None


def test_generated_literals__same_dict_as_psycopg2_and_as_written():
    rng = random.Random(20261125)
    for _ in range(5000):
        text, written = _literal(rng)
        assert HstoreAdapter.parse(text, None) == written, text
        assert hstore_text_to_dict(text) == written, text


def test_mutated_literals__accept_and_reject_like_psycopg2():
    """Insert, delete or replace one character: same dict or both reject."""
    rng = random.Random(7)
    for _ in range(20000):
        text, _written = _literal(rng)
        position = rng.randint(0, len(text))
        piece = rng.choice(_PIECES)
        mutated = rng.choice(
            [
                text[:position] + piece + text[position:],
                text[:position] + text[position + 1 :],
                text[:position] + piece + text[position + 1 :],
            ]
        )
        expected = _outcome(lambda t: HstoreAdapter.parse(t, None), mutated)
        assert _outcome(hstore_text_to_dict, mutated) == expected, mutated


@pytest.mark.parametrize(
    "text",
    [
        '"a"=>"x=>y, z"',
        '"k"=>NULL, "NULL"=>"NULL"',
        '"a,b"=>"c\\"d", "e\\\\"=>"f"',
        '"multi\nline"=>"v\n"',
        '"a"=>"1",  ',
        '"a"=>"1"\n',
        '"a"=>"1", ,"b"=>"2"',
        '"\\x"=>"\\\\\\""',
    ],
)
def test_edge_cases__like_psycopg2(text):
    expected = _outcome(lambda t: HstoreAdapter.parse(t, None), text)
    assert _outcome(hstore_text_to_dict, text) == expected


def test_malformed_text__raises_psycopg2_interface_error_too():
    """Code written for the public package catches psycopg2's InterfaceError; that still works,
    and the error is a ValueError as well."""
    for text in ('"a"=>', '"a"=>"1" "b"=>"2"'):
        with pytest.raises(psycopg2.InterfaceError) as caught:
            hstore_text_to_dict(text)
        assert isinstance(caught.value, HstoreParseError)
        assert isinstance(caught.value, ValueError)
