"""The simulator's seed data as JSON files, shipped with the package.

* ``describes.json``: the simulated org's objects, fields, picklists and validation rules;
* ``seed.json``: the values seeded records are made of (names, companies, cities, ...), the
  integration user and the record types every org starts with;
* ``errors.json``: the Salesforce error catalogue (status code and message template per kind).

Edit the data here; the modules that read it (``describes.py``, ``seed.py``, ``errors.py``) hold
only the rules.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

__all__ = ("load_json",)


@functools.cache
def _parsed(name: str) -> Any:
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def load_json(name: str) -> Any:
    """The parsed content of the data file ``name`` (a fresh copy: callers may change it)."""
    return copy.deepcopy(_parsed(name))
