"""Project-wide system checks of connected models (registered in ``AppConfig.ready``).

Model-level checks (E001-E004, E007) live on ``HerokuConnectModel.check``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from heroku_connect import check_messages
from heroku_connect.mapping import get_heroku_connect_models

__all__ = ("_check_foreign_key", "_check_unique_sf_object_name")


def _points_to_connected_model(field: models.Field) -> bool:
    from heroku_connect.db.models.base import HerokuConnectModel

    remote = field.remote_field.model
    return isinstance(remote, type) and issubclass(remote, HerokuConnectModel)


def _relation_errors(field: models.Field, *, is_fk: bool) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if field.target_field.name == "id":
        errors.append(check_messages.foreign_key_to_id(field))
    constrained = field.db_constraint if is_fk else field.remote_field.db_constraint
    if constrained:
        errors.append(check_messages.db_constraint_warning(field))
        if is_fk:
            errors.append(check_messages.db_constraint_error(field))
    return errors


def _check_foreign_key(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """E005, W001 and E008: relations to connected models must use a Salesforce key, no FK.

    Every model of every app label is scanned (``app_configs`` is ignored), including
    auto-created many-to-many through models.
    """
    errors: list[checks.CheckMessage] = []
    for app_models in list(apps.all_models.values()):
        for model in list(app_models.values()):
            opts = model._meta
            for field in opts.local_fields:
                if isinstance(field, models.ForeignKey | models.ManyToManyField) and (
                    _points_to_connected_model(field)
                ):
                    errors.extend(_relation_errors(field, is_fk=True))
            for field in opts.local_many_to_many:
                if _points_to_connected_model(field):
                    errors.extend(_relation_errors(field, is_fk=False))
    return errors


def _check_unique_sf_object_name(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """E006: two connected models must not map the same Salesforce object."""
    by_name: defaultdict[str, list[type]] = defaultdict(list)
    for model in get_heroku_connect_models():
        by_name[model.sf_object_name].append(model)
    errors: list[checks.CheckMessage] = []
    for name, group in by_name.items():
        if len(group) > 1:
            errors.extend(
                check_messages.sf_object_name_clash(
                    f"{model._meta.app_label}.{model.__name__}", name, model
                )
                for model in group
            )
    return errors
