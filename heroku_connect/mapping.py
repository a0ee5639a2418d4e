"""Connected models in the app registry and the mapping configuration built from them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.utils import timezone

from heroku_connect.conf import settings
from heroku_connect.db.models.base import HerokuConnectModel

__all__ = ("get_connected_model_for_table_name", "get_heroku_connect_models", "get_mapping")


def get_heroku_connect_models() -> Iterator[type[HerokuConnectModel]]:
    """Iterate over every installed unmanaged Heroku Connect model, in registration order.

    Managed multi-table-inheritance children of connected models are left out. Raises
    ``AppRegistryNotReady`` when called before the models are loaded.
    """
    apps.check_models_ready()
    return (
        model
        for app_models in list(apps.all_models.values())
        for model in list(app_models.values())
        if issubclass(model, HerokuConnectModel) and not model._meta.managed
    )


@lru_cache(maxsize=128)
def get_connected_model_for_table_name(table_name: str) -> type[HerokuConnectModel]:
    """The connected model whose table (without schema) is ``table_name``.

    Raises ``LookupError`` when no model uses that table.
    """
    for model in get_heroku_connect_models():
        if model.get_heroku_connect_table_name() == table_name:
            return model
    raise LookupError(f"No connected model found for table {table_name!r}")


def get_mapping(
    version: int = 1,
    exported_at: datetime.datetime | None = None,
    app_name: str | None = None,
) -> dict[str, Any]:
    """The Heroku Connect mapping configuration of all connected models (``import`` format).

    ``exported_at`` defaults to now and ``app_name`` to ``HEROKU_CONNECT_APP_NAME``.
    """
    if exported_at is None:
        exported_at = timezone.now()
    if app_name is None:
        app_name = settings.HEROKU_CONNECT_APP_NAME
    return {
        "version": version,
        "connection": {
            "organization_id": settings.HEROKU_CONNECT_ORGANIZATION_ID,
            "app_name": app_name,
            "exported_at": exported_at.isoformat(),
        },
        "mappings": [model.get_heroku_connect_mapping() for model in get_heroku_connect_models()],
    }
