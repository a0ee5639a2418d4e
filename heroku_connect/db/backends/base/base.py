"""The part shared by the Heroku Connect database backends."""

from __future__ import annotations

from typing import Any

from heroku_connect.db.backends.base.creation import DatabaseCreation


class _SearchPath:
    """``public,<HEROKU_CONNECT_SCHEMA>,pg_catalog`` as a string, on the class and instances.

    The public package computed a class attribute at import; reading the setting on access keeps
    that (a string, also on the class) while following ``override_settings``.
    """

    def __get__(self, instance: object, owner: type | None = None) -> str:
        from heroku_connect.conf import settings

        return f"public,{settings.HEROKU_CONNECT_SCHEMA},pg_catalog"


class HerokuConnectDatabaseWrapperMixin:
    """Put the Heroku Connect schema on the ``search_path`` and create it for test databases.

    Unqualified table names resolve to ``public``, then the Heroku Connect schema. An
    ``OPTIONS["options"]`` given in the database settings wins.
    """

    creation_class = DatabaseCreation

    search_path = _SearchPath()

    def __init__(self, settings_dict: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        options = settings_dict.setdefault("OPTIONS", {})
        options.setdefault("options", f"-c search_path={self.search_path}")
        super().__init__(settings_dict, *args, **kwargs)
