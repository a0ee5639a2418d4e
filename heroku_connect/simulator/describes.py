"""The simulated org's schema: object describes, their fields and validation rules.

The objects themselves are data (``data/describes.json``): Account, Contact, Opportunity, Case,
User, RecordType and two custom objects (``Project__c``, used by the example models in
``app/salesforce/models.py``, and ``Invoice__c``) with realistic fields: lengths, required fields,
picklists (``Account.Rating``, ``Opportunity.StageName``, ``Case.Status`` and the custom
``Status__c`` fields are restricted), an ``External_ID__c`` Text(32) unique External ID on Account,
Contact and the custom objects, lookups and one validation rule per writable object.

In the data file, ``system_fields`` lists the fields every object has (``IsDeleted`` only where
``deletable``, ``OwnerId`` only where ``owned``); each field entry holds the
:class:`FieldDescribe` attributes that differ from the defaults. A validation rule rejects a
record when every condition of its ``when`` list holds (:data:`CONDITION_TESTS`).

:class:`Schema` answers the questions the rest of the simulator asks about them (case-insensitive
lookups, ``X__r__Ext__c`` relationship fields, the Postgres column type of a field). Every
:class:`~heroku_connect.simulator.org.Org` gets its own copies, so a test may change one org's
describes without affecting another.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from heroku_connect.simulator.data import load_json

__all__ = (
    "CONDITION_TESTS",
    "FIELD_TYPES",
    "Condition",
    "FieldDescribe",
    "ObjectDescribe",
    "Schema",
    "ValidationRule",
    "column_type",
    "load_describes",
)

FIELD_TYPES = (
    "id",
    "string",
    "textarea",
    "email",
    "phone",
    "url",
    "picklist",
    "multipicklist",
    "boolean",
    "double",
    "currency",
    "percent",
    "int",
    "date",
    "datetime",
    "time",
    "reference",
)

_RELATIONSHIP_RE = re.compile(r"^(?P<relationship>.+?)__r__(?P<external>.+)$", re.IGNORECASE)


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


@dataclass
class FieldDescribe:
    """One field of an object describe (Salesforce's names in snake case)."""

    name: str
    label: str
    type: str
    length: int | None = None
    required: bool = False  # needed on create (not nillable, no default)
    unique: bool = False
    external_id: bool = False
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: str | None = None
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    precision: int | None = None  # numbers: total digits
    scale: int | None = None  # numbers: digits after the point
    relationship_name: str | None = None  # references: ``Account`` for AccountId

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r}")
        self.picklist_values = tuple(self.picklist_values)
        if self.required:
            self.nillable = False
        if self.type == "reference" and self.relationship_name is None:
            if self.name.endswith("__c"):
                self.relationship_name = self.name[:-3] + "__r"
            elif self.name.endswith("Id"):
                self.relationship_name = self.name[:-2]

    @property
    def writable(self) -> bool:
        return self.createable or self.updateable

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "length": self.length or 0,
            "precision": self.precision or 0,
            "scale": self.scale or 0,
            "required": self.required,
            "nillable": self.nillable,
            "unique": self.unique,
            "externalId": self.external_id,
            "idLookup": self.name == "Id" or self.external_id,
            "createable": self.createable,
            "updateable": self.updateable,
            "custom": self.name.endswith("__c"),
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False}
                for v in self.picklist_values
            ],
            "restrictedPicklist": self.restricted_picklist,
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship_name,
        }


#: The tests a validation-rule condition can make: ``(value of the field, operand) -> bool``.
CONDITION_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda value, operand: value == operand,
    "not_equals": lambda value, operand: value != operand,
    "below": lambda value, operand: value is not None and value < operand,
    "at_most": lambda value, operand: not (value or 0) > operand,  # empty counts as 0
    "is_null": lambda value, _operand: value is None,
    "is_true": lambda value, _operand: bool(value),
    "not_in": lambda value, operand: value not in operand,
    "after_today": lambda value, _operand: value is not None and value > _today(),
}


@dataclass(frozen=True)
class Condition:
    """``test`` applied to the record's ``field`` (with ``value`` as the operand)."""

    field: str
    test: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.test not in CONDITION_TESTS:
            raise ValueError(f"unknown condition test {self.test!r}")

    def holds(self, record: dict[str, Any]) -> bool:
        return CONDITION_TESTS[self.test](record.get(self.field), self.value)


@dataclass
class ValidationRule:
    """A validation rule: the write is rejected with ``message`` when every condition holds."""

    name: str
    message: str
    when: tuple[Condition, ...] = field(repr=False)
    error_field: str | None = None
    #: Values that break the rule (for the demo's application activity and tests).
    violation: dict[str, Any] = field(default_factory=dict, repr=False)

    def fails(self, record: dict[str, Any]) -> bool:
        return all(condition.holds(record) for condition in self.when)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "errorMessage": self.message, "errorField": self.error_field}


@dataclass
class ObjectDescribe:
    name: str
    label: str
    fields: dict[str, FieldDescribe]
    validation_rules: list[ValidationRule] = field(default_factory=list)
    key_prefix: str = ""
    label_plural: str = ""

    def field(self, name: str) -> FieldDescribe | None:
        """The field called ``name`` (case-insensitive, like Salesforce), or None."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for candidate in self.fields.values():
            if candidate.name.lower() == lowered:
                return candidate
        return None

    def external_id_fields(self) -> list[FieldDescribe]:
        return [f for f in self.fields.values() if f.external_id]

    def as_json(self) -> dict[str, Any]:
        """Salesforce-describe-like (``GET /connections/{C}/schemas/{Object}``)."""
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural or self.label + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.name.endswith("__c"),
            "createable": True,
            "updateable": True,
            "deletable": True,
            "fields": [f.as_json() for f in self.fields.values()],
            "validationRules": [rule.as_json() for rule in self.validation_rules],
        }


def column_type(f: FieldDescribe) -> str:
    """The PostgreSQL column type Heroku Connect gives the field
    (docs/heroku-connect/database.md §9)."""
    kind = f.type
    if kind in ("id", "reference"):
        return "character varying(18)"
    if (
        kind in ("string", "email", "phone", "url", "textarea")
        and f.length
        and (kind != "textarea" or f.length <= 255)
    ):
        return f"character varying({f.length})"
    if kind == "textarea":
        return "text"
    if kind == "picklist":
        return f"character varying({max(f.length or 255, 255)})"
    if kind == "multipicklist":
        return "character varying(4099)"
    if kind == "boolean":
        return "boolean"
    if kind in ("double", "currency", "percent"):
        return "double precision"
    if kind == "int":
        return "integer"
    if kind == "date":
        return "date"
    if kind == "datetime":
        return "timestamp without time zone"
    if kind == "time":
        return "time without time zone"
    return "character varying(255)"


# --- loading ---------------------------------------------------------------------------------


def _field(entry: dict[str, Any]) -> FieldDescribe:
    return FieldDescribe(**{key: value for key, value in entry.items() if key != "only_if"})


def _rule(entry: dict[str, Any], fields: dict[str, FieldDescribe]) -> ValidationRule:
    violation = dict(entry.get("violation", {}))
    for name, value in violation.items():
        if fields[name].type == "date" and isinstance(value, str):
            violation[name] = datetime.date.fromisoformat(value)
    return ValidationRule(
        name=entry["name"],
        message=entry["message"],
        when=tuple(Condition(**condition) for condition in entry["when"]),
        error_field=entry.get("error_field"),
        violation=violation,
    )


def load_describes() -> list[ObjectDescribe]:
    """Fresh describes of every object of ``data/describes.json``, in the file's order."""
    data = load_json("describes.json")
    describes = []
    for entry in data["objects"]:
        flags = {"deletable": entry.get("deletable", True), "owned": entry.get("owned", True)}
        system = [
            _field(f) for f in data["system_fields"] if flags.get(f.get("only_if"), True) is True
        ]
        fields = {f.name: f for f in [*system, *map(_field, entry["fields"])]}
        describes.append(
            ObjectDescribe(
                entry["name"],
                entry["label"],
                fields,
                [_rule(rule, fields) for rule in entry.get("validation_rules", [])],
                key_prefix=entry.get("key_prefix", ""),
                label_plural=entry.get("label_plural", ""),
            )
        )
    return describes


# --- the schema ------------------------------------------------------------------------------


class Schema:
    """The org's objects, looked up case-insensitively like Salesforce does."""

    def __init__(self, describes: Iterable[ObjectDescribe] | None = None) -> None:
        if describes is None:
            describes = load_describes()
        self._objects: dict[str, ObjectDescribe] = {d.name: d for d in describes}
        self._by_lower = {name.lower(): name for name in self._objects}

    def object_names(self) -> list[str]:
        return list(self._objects)

    def describes(self) -> list[ObjectDescribe]:
        return list(self._objects.values())

    def has_object(self, name: str) -> bool:
        return name in self._objects or name.lower() in self._by_lower

    def describe(self, name: str) -> ObjectDescribe:
        """The describe of ``name`` (case-insensitive); ``KeyError`` for unknown objects."""
        if name in self._objects:
            return self._objects[name]
        try:
            return self._objects[self._by_lower[name.lower()]]
        except KeyError:
            raise KeyError(name) from None

    def field(self, object_name: str, field_name: str) -> FieldDescribe:
        """A field of ``object_name`` (case-insensitive); ``KeyError`` when unknown.

        An external-ID relationship field (``Account__r__External_ID__c``) resolves to a
        synthetic ``string`` field with the external field's length and the lookup as
        ``reference_to``.
        """
        describe = self.describe(object_name)
        found = describe.field(field_name)
        if found is not None:
            return found
        lookup, target, external = self.relationship(object_name, field_name)
        return FieldDescribe(
            name=field_name,
            label=f"{lookup.label} ({external.label})",
            type="string",
            length=external.length,
            reference_to=target.name,
            createable=lookup.createable,
            updateable=lookup.updateable,
        )

    def relationship(
        self, object_name: str, field_name: str
    ) -> tuple[FieldDescribe, ObjectDescribe, FieldDescribe]:
        """For ``X__r__Ext__c``: (base lookup field, target object, external-ID field).

        ``KeyError`` when the name is not a relationship field of this object, the lookup is
        unknown, or ``Ext__c`` is not an External ID of the target.
        """
        describe = self.describe(object_name)
        match = _RELATIONSHIP_RE.match(field_name)
        if match is None:
            raise KeyError(field_name)
        relationship = match["relationship"].lower()
        for candidate in describe.fields.values():
            if (
                candidate.type == "reference"
                and candidate.relationship_name
                and candidate.relationship_name.lower().removesuffix("__r") == relationship
            ):
                target = self.describe(candidate.reference_to or "")
                external = target.field(match["external"])
                if external is None or not external.external_id:
                    raise KeyError(field_name)
                return candidate, target, external
        raise KeyError(field_name)

    def column_type(self, object_name: str, field_name: str) -> str:
        """The PostgreSQL column type Heroku Connect gives the field (see :func:`column_type`)."""
        return column_type(self.field(object_name, field_name))
