"""Salesforce relationship fields: foreign keys without database constraints."""

from __future__ import annotations

from typing import Any

from django.db import models

from .fields import HerokuConnectFieldMixin

__all__ = ("ConstraintlessForeignObjectMixin", "Lookup", "MasterDetail")


class ConstraintlessForeignObjectMixin:
    """Never create a database constraint: Heroku Connect fills related rows in any order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)


class Lookup(ConstraintlessForeignObjectMixin, HerokuConnectFieldMixin, models.ForeignKey):
    """A Salesforce Lookup relationship.

    Point it at the target's ``sf_id`` (or an External ID) with ``to_field``; pointing at ``id``
    is an error (check ``heroku_connect.E005``), because ``id`` is local to the database.
    """


class MasterDetail(ConstraintlessForeignObjectMixin, HerokuConnectFieldMixin, models.ForeignKey):
    """A Salesforce Master-Detail relationship (use ``to_field`` like :class:`Lookup`)."""
