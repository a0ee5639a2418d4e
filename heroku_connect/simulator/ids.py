"""Salesforce record ids: 15 case-sensitive characters, plus a 3-character case-safe checksum.

The first three characters are the object's key prefix (``001`` Account, ``003`` Contact, ...).
The simulator's ids are ``<prefix>5g000<7 base-62 digits>``: deterministic for a seed and never
reused within an org (:class:`~heroku_connect.simulator.store.RecordStore` allocates them).
"""

from __future__ import annotations

import re
import string
from random import Random

__all__ = ("ID_CHARS", "ID_RE", "missing_id", "numbered_id", "organization_id", "salesforce_id")

ID_CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_CHARS = string.ascii_uppercase + "012345"
#: A well-formed 15- or 18-character id.
ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")


def salesforce_id(id15: str) -> str:
    """The 18-character form of a 15-character id (Salesforce's case-safe checksum)."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if char.isupper():
                bits |= 1 << position
        suffix += _CHECKSUM_CHARS[bits]
    return id15 + suffix


def numbered_id(key_prefix: str, number: int) -> str:
    """The id of record ``number`` of the object with ``key_prefix``."""
    body = ""
    for _ in range(7):
        number, digit = divmod(number, 62)
        body = ID_CHARS[digit] + body
    return salesforce_id(f"{key_prefix}5g000{body}")


def missing_id(key_prefix: str) -> str:
    """A well-formed id with ``key_prefix`` that no record has (its number is far beyond any
    the simulator reaches): an invalid reference."""
    return salesforce_id(f"{key_prefix}5g00000ZZZZZ")


def organization_id(rng: Random) -> str:
    """A random org id (``00D`` prefix)."""
    return salesforce_id("00D5g0000" + "".join(rng.choice(ID_CHARS) for _ in range(6)))
