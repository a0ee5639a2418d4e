"""One factory per system-check message of the library, each with its stable id and hint."""

from __future__ import annotations

from typing import Any

from django.core import checks


def sf_object_name_missing(label: str) -> checks.Error:
    return checks.Error(f'{label} must define a "sf_object_name".', id="heroku_connect.E001")


def sf_access_invalid(label: str, access: Any, allowed: list[str]) -> checks.Error:
    return checks.Error(
        f"{label}.sf_access must be one of {allowed}", hint=access, id="heroku_connect.E002"
    )


def duplicate_sf_field_names(label: str, duplicates: list[str]) -> checks.Error:
    return checks.Error(
        f"{label} has duplicate Salesforce field names.",
        hint=duplicates,
        id="heroku_connect.E003",
    )


def multiple_upsert_fields(label: str, fields: list[Any]) -> checks.Error:
    return checks.Error(
        f"{label} can only have a single upsert field.", hint=fields, id="heroku_connect.E004"
    )


def foreign_key_to_id(field: Any) -> checks.Error:
    return checks.Error(
        f"{field} should point to an External ID or the 'sf_id', not 'id'.",
        hint="Specify the 'to_field' argument.",
        id="heroku_connect.E005",
    )


def sf_object_name_clash(label: str, sf_object_name: str, model: Any) -> checks.Error:
    return checks.Error(
        f"{label}.sf_object_name '{sf_object_name}' clashes with another model.",
        hint="Make sure your 'sf_object_name' is correct.",
        obj=model,
        id="heroku_connect.E006",
    )


def upsert_field_missing(label: str) -> checks.Error:
    return checks.Error(
        f"{label} does not have an upsert field.",
        hint="Read-write models need an upsert field.",
        id="heroku_connect.E007",
    )


def db_constraint_error(field: Any) -> checks.Error:
    return checks.Error(
        f"{field} may not have database constraints to a Heroku Connect model.",
        hint="Set 'db_constraint' to False.",
        id="heroku_connect.E008",
    )


def db_constraint_warning(field: Any) -> checks.Warning:
    return checks.Warning(
        f"{field} should not have database constraints to a Heroku Connect model.",
        hint="Set 'db_constraint' to False.",
        id="heroku_connect.W001",
    )
