from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Login throttling (django-axes) and the login/logout audit trail."""

    name = "app.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
