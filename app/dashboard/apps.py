from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_sql_functions(using: str = "default", **kwargs: object) -> None:
    """(Re)create the SQL function behind the error-group filter after every ``migrate``.

    Generated from the rules in ``app.dashboard.errors``, so it always matches the code.
    """
    from django.db import connections

    from app.dashboard.errors import install_sql_function

    install_sql_function(connections[using])


class DashboardConfig(AppConfig):
    name = "app.dashboard"
    label = "dashboard"
    verbose_name = "Operator dashboard"

    def ready(self) -> None:
        from app.dashboard import stats  # noqa: F401 (registers the Celery task)

        post_migrate.connect(
            _install_sql_functions, sender=self, dispatch_uid="dashboard_sql_functions"
        )
