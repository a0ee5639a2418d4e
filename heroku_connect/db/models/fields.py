"""Model fields for Salesforce field types, as Heroku Connect stores them in PostgreSQL.

Every field takes the keyword ``sf_field_name`` (the Salesforce API name); the column defaults
to its lower-case form and the field is nullable by default, because Heroku Connect creates
nullable columns. ``upsert=True`` marks the mapping's upsert field (unique and indexed).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.choices import flatten_choices, normalize_choices

__all__ = (
    "HerokuConnectFieldMixin",
    "AnyType",
    "ID",
    "ExternalID",
    "Checkbox",
    "Number",
    "Currency",
    "Date",
    "DateTime",
    "Email",
    "EncryptedString",
    "Percent",
    "Phone",
    "Picklist",
    "Text",
    "TextArea",
    "TextAreaLong",
    "Time",
    "URL",
)


class HerokuConnectFieldMixin:
    """Mark a model field as a Heroku Connect mapped field.

    ``sf_field_name`` is required (a missing one raises ``KeyError``). Unique fields are always
    indexed, because Heroku Connect requires an index on unique columns.
    """

    sf_field_name: str | None = None
    upsert: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sf_field_name = kwargs.pop("sf_field_name")
        kwargs.setdefault("db_column", self.sf_field_name.lower())
        kwargs.setdefault("null", True)
        self.upsert = kwargs.pop("upsert", False)
        if self.upsert:
            kwargs["unique"] = True
            kwargs["db_index"] = True
        super().__init__(*args, **kwargs)
        if self.unique:
            self.db_index = True

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sf_field_name"] = self.sf_field_name
        kwargs["upsert"] = self.upsert
        return name, path, args, kwargs


class AnyType(HerokuConnectFieldMixin, models.TextField):
    """Salesforce ``anyType`` (e.g. history ``OldValue`` / ``NewValue``)."""


class ID(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce record Id: ``varchar(18)``, not editable, nullable, unique by default."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 18
        kwargs["editable"] = False
        kwargs["null"] = True
        kwargs.setdefault("unique", True)
        super().__init__(*args, **kwargs)


class ExternalID(HerokuConnectFieldMixin, models.UUIDField):
    """A UUID External ID, stored as 32 lower-case hex characters in a ``varchar(32)``.

    It is the upsert field by default and gets a fresh ``uuid4`` for new rows. Match it with a
    Text(32) External ID field in Salesforce. Values read back are :class:`uuid.UUID`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("upsert", True)
        kwargs.setdefault("default", uuid.uuid4)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "CharField"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        if not isinstance(value, uuid.UUID):
            value = self.to_python(value)
        return value.hex

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> uuid.UUID | None:
        return self.to_python(value)


class Checkbox(HerokuConnectFieldMixin, models.BooleanField):
    """A Salesforce checkbox; always nullable."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["null"] = True
        super().__init__(*args, **kwargs)


class Number(HerokuConnectFieldMixin, models.DecimalField):
    """A Salesforce number, stored as ``double precision``.

    Values are written as floats and read back as Decimals with ``max_digits`` significant
    digits (``1.234`` with ``max_digits=3`` reads as ``Decimal('1.23')``).
    """

    def get_internal_type(self) -> str:
        return "FloatField"

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return self.get_db_prep_value(value, connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        value = self.to_python(value)
        return None if value is None else float(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.to_python(value)


class Currency(Number):
    """A Salesforce currency amount (``double precision``)."""


class Percent(Number):
    """A Salesforce percentage (``double precision``)."""


class Date(HerokuConnectFieldMixin, models.DateField):
    """A Salesforce date."""


class DateTime(HerokuConnectFieldMixin, models.DateTimeField):
    """A Salesforce date/time, stored in UTC as ``timestamp without time zone``."""

    def db_type(self, connection: Any) -> str:
        return "timestamp without time zone"

    def from_db_value(
        self, value: datetime.datetime | None, expression: Any, connection: Any
    ) -> datetime.datetime | None:
        if value is not None and timezone.is_naive(value):
            return timezone.make_aware(value, datetime.UTC)
        return value


class Email(HerokuConnectFieldMixin, models.EmailField):
    """A Salesforce email address (``varchar(80)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 80
        super().__init__(*args, **kwargs)


class EncryptedString(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce encrypted string (Heroku Connect stores the masked value)."""


class Phone(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce phone or fax number (``varchar(40)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 40
        super().__init__(*args, **kwargs)


class Picklist(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce picklist; ``choices`` is required.

    ``max_length`` defaults to 255, or to the longest choice value when that is longer.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        choices = kwargs["choices"]
        if "max_length" not in kwargs:
            # Any form Django accepts: pairs, groups, a mapping, a Choices class, a callable.
            flat = flatten_choices(normalize_choices(choices))
            longest = max((len(str(value)) for value, _ in flat), default=0)
            kwargs["max_length"] = max(255, longest)
        super().__init__(*args, **kwargs)


class Text(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce text field (``varchar(n)``)."""


class TextArea(HerokuConnectFieldMixin, models.CharField):
    """A Salesforce text area (``varchar(255)`` by default), edited in a ``<textarea>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> forms.Field:
        defaults: dict[str, Any] = {"max_length": self.max_length}
        if not self.choices:
            defaults["widget"] = forms.Textarea
        defaults.update(kwargs)
        return super().formfield(**defaults)


class TextAreaLong(HerokuConnectFieldMixin, models.TextField):
    """A Salesforce long or rich text area (``text``)."""


class Time(HerokuConnectFieldMixin, models.TimeField):
    """A Salesforce time."""


class URL(HerokuConnectFieldMixin, models.URLField):
    """A Salesforce URL (``varchar(255)`` by default)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)
