"""Dashboard models: the permission holder and our own summary tables (never Connect's)."""

from __future__ import annotations

from django.db import models


class DashboardAccess(models.Model):
    """Holds the dashboard's custom permissions; it has no table and no rows.

    Groups created by a migration: "Viewers" (view), "Operators" (view, retry, ignore) and
    "Administrators" (all four).
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (
            ("view_dashboard", "Can view the operator dashboard"),
            ("retry_writes", "Can retry failed trigger-log writes"),
            ("ignore_writes", "Can ignore failed trigger-log writes"),
            ("manage_mappings", "Can manage Heroku Connect mappings and connections"),
        )

    def __str__(self) -> str:
        return "dashboard access"
