"""pytest fixtures for projects using ``heroku_connect`` (needs pytest-django).

Enable them in the root ``conftest.py``::

    pytest_plugins = ["heroku_connect.test.fixtures"]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heroku_connect.test.schema import development_schema

__all__ = ("heroku_connect_development_schema",)


@pytest.fixture
def heroku_connect_development_schema(db: None) -> Iterator[None]:
    """The test runs on the development schema (see :mod:`heroku_connect.test.schema`).

    Works with ``transactional_db`` and ``django_db(transaction=True)`` too.
    """
    with development_schema():
        yield
