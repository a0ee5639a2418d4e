"""App config of the Heroku Connect health check (django-health-check 3.x registration)."""

from __future__ import annotations

from django.apps import AppConfig


class HealthCheckConfig(AppConfig):
    """Registers :class:`HerokuConnectHealthCheck` with django-health-check 3.x's ``plugin_dir``.

    django-health-check 4.x has no plugin registry: list the check in
    ``HealthCheckView.as_view(checks=[...])`` instead (adding this app is then harmless).
    """

    name = "heroku_connect.contrib.heroku_connect_health_check"

    def ready(self) -> None:
        try:
            from health_check.plugins import plugin_dir
        except ImportError:  # django-health-check 4.x
            return
        from .backends import HerokuConnectHealthCheck

        plugin_dir.register(HerokuConnectHealthCheck)
