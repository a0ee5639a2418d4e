from heroku_connect.db.backends.base.creation import DatabaseCreation


class HerokuConnectDatabaseWrapperMixin:
    creation_class = DatabaseCreation

    def __init__(self, settings_dict, *args, **kwargs):
        from heroku_connect.conf import settings

        options = settings_dict.setdefault("OPTIONS", {})
        options.setdefault(
            "options", f"-c search_path=public,{settings.HEROKU_CONNECT_SCHEMA},pg_catalog"
        )
        super().__init__(settings_dict, *args, **kwargs)
