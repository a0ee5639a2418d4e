"""The abstract base of every model connected to a Heroku Connect table."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core import checks
from django.db import models
from django.db.models.base import ModelBase

from heroku_connect import check_messages
from heroku_connect.conf import settings

from . import fields

__all__ = ("HerokuConnectModel", "READ_ONLY", "READ_WRITE")

READ_ONLY = "read_only"
READ_WRITE = "read_write"

#: Salesforce objects without an ``IsDeleted`` field (no ``isdeleted`` column).
OBJECTS_WITHOUT_IS_DELETED = ("User", "RecordType", "EmailTemplate")


def get_heroku_connect_table_name(model_cls: type[models.Model]) -> str:
    """The table name of a connected model without its schema.

    ``'salesforce"."number_object__c'`` gives ``number_object__c``.
    """
    return model_cls._meta.db_table.rsplit(".", 1)[-1].strip('"')


class _HerokuConnectSnitchMixin:
    """Marker: abstract bases that derive from it turn their subclasses into HC tables."""


class HerokuConnectModelBase(ModelBase):
    """Metaclass making direct subclasses of abstract HC models unmanaged Salesforce tables.

    A class is a Heroku Connect table when one of its direct bases is an abstract subclass of
    :class:`_HerokuConnectSnitchMixin` (``HerokuConnectModel`` or an abstract HC mixin). Its
    ``Meta`` then gets ``managed = False`` and, unless set, ``db_table =
    '<schema>"."<sf_object_name lower>'`` (the schema read from the settings now). Abstract
    subclasses get the same ``db_table`` and ``managed = False`` unless their ``Meta`` gives
    either explicitly; concrete ones are always unmanaged. Multi-table-inheritance children of
    a concrete HC model are not Heroku Connect tables; give them their own ``Meta`` to make them
    managed (without one, Django's Meta inheritance gives them the abstract base's).
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any):
        if any(_is_abstract_hc_base(base) for base in bases):
            meta = attrs.get("Meta")
            if meta is None:
                meta = attrs["Meta"] = type("Meta", (), {})
            abstract = getattr(meta, "abstract", False)
            if not abstract or "managed" not in meta.__dict__:
                meta.managed = False
            if not _has_explicit_db_table(meta):
                sf_object_name = _sf_object_name(attrs, bases)
                meta.db_table = f'{settings.HEROKU_CONNECT_SCHEMA}"."{sf_object_name.lower()}'
                # Remembered so that a subclass whose Meta inherits this one computes its own.
                meta._hc_computed_db_table = meta.db_table
        new_class = super().__new__(mcs, name, bases, attrs, **kwargs)
        if getattr(new_class, "sf_object_name", None) in OBJECTS_WITHOUT_IS_DELETED:
            _remove_local_field(new_class, "is_deleted")
        return new_class


def _is_abstract_hc_base(base: type) -> bool:
    return (
        isinstance(base, type)
        and issubclass(base, _HerokuConnectSnitchMixin)
        and base is not _HerokuConnectSnitchMixin
        and getattr(getattr(base, "_meta", None), "abstract", False)
    )


def _has_explicit_db_table(meta: type) -> bool:
    """A ``db_table`` given in ``meta`` or inherited from a Meta that did not compute it."""
    if meta.__dict__.get("db_table"):
        return True
    inherited = getattr(meta, "db_table", None)
    return bool(inherited) and inherited != getattr(meta, "_hc_computed_db_table", None)


def _sf_object_name(attrs: dict[str, Any], bases: tuple[type, ...]) -> str:
    """``sf_object_name`` from the class body, else inherited (e.g. from an abstract model)."""
    if "sf_object_name" in attrs:
        return attrs["sf_object_name"] or ""
    for base in bases:
        inherited = getattr(base, "sf_object_name", None)
        if inherited:
            return inherited
    return ""


def _remove_local_field(model: type[models.Model], name: str) -> None:
    opts = model._meta
    opts.local_fields = [f for f in opts.local_fields if f.name != name]
    opts._expire_cache()


class HerokuConnectModel(_HerokuConnectSnitchMixin, models.Model, metaclass=HerokuConnectModelBase):
    """Abstract base class for models of Heroku Connect mapped tables.

    Subclasses set ``sf_object_name`` (the Salesforce object API name) and ``sf_access``
    (:data:`READ_ONLY` or :data:`READ_WRITE`; read-write models need an upsert field).
    """

    sf_object_name = ""
    sf_access = READ_ONLY
    sf_notify_enabled = False
    sf_polling_seconds = 600
    sf_max_daily_api_calls = 30000

    sf_id = fields.ID(sf_field_name="Id", db_column="sfid")
    system_mod_stamp = fields.DateTime(sf_field_name="SystemModstamp", db_index=True)
    is_deleted = fields.Checkbox(sf_field_name="IsDeleted")
    _hc_lastop = models.CharField(
        max_length=32,
        null=True,
        editable=False,
        help_text="Indicates the last sync operation Heroku Connect performed on the record",
    )
    _hc_err = models.TextField(
        max_length=1024,
        null=True,
        editable=False,
        help_text=(
            "If the last sync operation by Heroku Connect resulted in an error then this "
            "column will contain a JSON object containing more information about the error"
        ),
    )

    class Meta:
        abstract = True
        managed = False

    get_heroku_connect_table_name = classmethod(get_heroku_connect_table_name)

    @classmethod
    def get_heroku_connect_fields(cls) -> list[fields.HerokuConnectFieldMixin]:
        """The model's Heroku Connect fields, in field order."""
        return [f for f in cls._meta.fields if isinstance(f, fields.HerokuConnectFieldMixin)]

    @classmethod
    def get_heroku_connect_field_mapping(
        cls,
    ) -> tuple[dict[str, dict], dict[str, dict[str, bool]], str | None]:
        """``(fields, indexes, upsert_field)`` of the mapping configuration."""
        mapped_fields: dict[str, dict] = {}
        indexes: dict[str, dict[str, bool]] = {}
        upsert_field = None
        for field in cls.get_heroku_connect_fields():
            mapped_fields[field.sf_field_name] = {}
            if field.db_index:
                indexes[field.sf_field_name] = {"unique": field.unique}
            if field.upsert:
                upsert_field = field.sf_field_name
        return mapped_fields, indexes, upsert_field

    @classmethod
    def get_heroku_connect_mapping(cls) -> dict[str, Any]:
        """This model's entry in the Heroku Connect mapping configuration."""
        mapped_fields, indexes, upsert_field = cls.get_heroku_connect_field_mapping()
        config: dict[str, Any] = {
            "access": cls.sf_access,
            "sf_notify_enabled": cls.sf_notify_enabled,
            "sf_polling_seconds": cls.sf_polling_seconds,
            "sf_max_daily_api_calls": cls.sf_max_daily_api_calls,
            "fields": mapped_fields,
            "indexes": indexes,
        }
        if upsert_field is not None:
            config["upsert_field"] = upsert_field
        return {"object_name": cls.sf_object_name, "config": config}

    @classmethod
    def check(cls, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        errors.extend(cls._check_sf_object_name())
        errors.extend(cls._check_sf_access())
        errors.extend(cls._check_unique_sf_field_names())
        errors.extend(cls._check_upsert_field())
        errors.extend(cls._check_missing_upsert_field())
        return errors

    @classmethod
    def _check_label(cls) -> str:
        return f"{cls._meta.app_label}.{cls.__name__}"

    @classmethod
    def _check_sf_object_name(cls) -> list[checks.CheckMessage]:
        if not cls._meta.abstract and not cls.sf_object_name:
            return [check_messages.sf_object_name_missing(cls._check_label())]
        return []

    @classmethod
    def _check_sf_access(cls) -> list[checks.CheckMessage]:
        allowed = [READ_ONLY, READ_WRITE]
        if cls.sf_access not in allowed:
            return [check_messages.sf_access_invalid(cls._check_label(), cls.sf_access, allowed)]
        return []

    @classmethod
    def _check_unique_sf_field_names(cls) -> list[checks.CheckMessage]:
        seen: Counter[str] = Counter()
        duplicates = []
        for field in cls.get_heroku_connect_fields():
            if seen[field.sf_field_name]:
                duplicates.append(field.sf_field_name)
            seen[field.sf_field_name] += 1
        if duplicates:
            return [check_messages.duplicate_sf_field_names(cls._check_label(), duplicates)]
        return []

    @classmethod
    def _check_upsert_field(cls) -> list[checks.CheckMessage]:
        upsert_fields = [f for f in cls.get_heroku_connect_fields() if f.upsert]
        if len(upsert_fields) > 1:
            return [check_messages.multiple_upsert_fields(cls._check_label(), upsert_fields)]
        return []

    @classmethod
    def _check_missing_upsert_field(cls) -> list[checks.CheckMessage]:
        if cls.sf_access == READ_WRITE and not any(
            f.upsert for f in cls.get_heroku_connect_fields()
        ):
            return [check_messages.upsert_field_missing(cls._check_label())]
        return []
