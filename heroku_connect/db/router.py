"""A database router that refuses writes to read-only Heroku Connect models."""

from __future__ import annotations

from typing import Any

from heroku_connect.db.exceptions import WriteNotSupportedError
from heroku_connect.db.models.base import READ_ONLY


class HerokuConnectRouter:
    """Raise :class:`WriteNotSupportedError` on any write to a model with ``sf_access = READ_ONLY``.

    It expresses no routing opinion otherwise (always returns ``None``), so other routers in
    ``DATABASE_ROUTERS`` keep working.
    """

    def db_for_write(self, model: type, **hints: Any) -> None:
        if getattr(model, "sf_access", None) == READ_ONLY:
            raise WriteNotSupportedError(f"{model!r} is a read-only model.")
