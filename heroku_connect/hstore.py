"""Parse PostgreSQL ``hstore`` text output without a database driver.

``_trigger_log.values`` and ``.old`` hold hstore literals as text. :func:`hstore_text_to_dict`
parses them exactly like psycopg2's ``HstoreAdapter.parse`` (the public package used that), so
projects on psycopg 3 do not need psycopg2 for it.
"""

from __future__ import annotations

import re

__all__ = ("HstoreParseError", "hstore_text_to_dict")


try:  # Code written for the public package catches psycopg2's error; keep that working.
    from psycopg2 import InterfaceError as _Psycopg2InterfaceError
except ImportError:  # psycopg 3 only
    _ERROR_BASES: tuple[type[Exception], ...] = (ValueError,)
else:
    _ERROR_BASES = (ValueError, _Psycopg2InterfaceError)


class HstoreParseError(*_ERROR_BASES):
    """The text is not a valid hstore literal (also a ``psycopg2.InterfaceError`` if installed)."""


# One ``"key" => "value"`` (or ``=> NULL``) pair, then a comma or the end of the text. Inside
# the quotes a backslash escapes the next character (except a line break, as in psycopg2).
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_PAIR = re.compile(_QUOTED + r"\s*=>\s*(?:NULL|" + _QUOTED + r")(?:\s*,\s*|$)")
_ESCAPE = re.compile(r"\\(.)")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _excerpt(text: str, position: int) -> str:
    return repr(text[position : position + 20])


def hstore_text_to_dict(text: str | None) -> dict[str, str | None] | None:
    """Return the hstore literal ``text`` as a dict; ``None`` gives ``None``, ``""`` gives ``{}``.

    ``NULL`` values become ``None``. Raises :class:`HstoreParseError` (a ``ValueError``) naming
    the character position when the text is malformed.
    """
    if text is None:
        return None
    result: dict[str, str | None] = {}
    position = 0
    for match in _PAIR.finditer(text):
        if match.start() != position:
            raise HstoreParseError(
                f"error parsing hstore pair at char {position} (near {_excerpt(text, position)})"
            )
        key, value = match.group(1), match.group(2)
        result[_unescape(key)] = None if value is None else _unescape(value)
        position = match.end()
    if position < len(text):
        raise HstoreParseError(
            f"error parsing hstore: unparsed data after char {position} "
            f"(near {_excerpt(text, position)})"
        )
    return result
