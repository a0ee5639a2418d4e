"""Operator actions taken outside the dashboard, recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.http import HttpRequest

from heroku_connect.signals import trigger_logs_changed

from .services import record_action


@receiver(trigger_logs_changed, dispatch_uid="audit-trigger-log-admin-actions")
def record_trigger_log_admin_action(
    sender: type,
    *,
    request: HttpRequest,
    action: str,
    count: int,
    outcome: str,
    detail: str,
    **kwargs: Any,
) -> None:
    """A retry or ignore run from the Django admin's trigger-log pages."""
    record_action(
        user=getattr(request, "user", None),
        action=action,
        target=f"{sender._meta.verbose_name_plural} (Django admin)",
        selection={"source": "admin", "model": sender._meta.label},
        row_count=count,
        outcome=outcome,
        detail=detail,
    )
