"""Writing the audit trail. Every operator action in the app calls :func:`record_action`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from app.audit.models import AuditEntry, Outcome

SYSTEM_USERNAME = "system"

__all__ = ("SYSTEM_USERNAME", "Outcome", "record_action")


def record_action(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: str = "",
    selection: dict[str, Any] | None = None,
    row_count: int = 0,
    outcome: str = Outcome.OK,
    detail: str = "",
    username: str | None = None,
) -> AuditEntry:
    """Record one operator action (``user=None`` for beat tasks: recorded as ``system``).

    ``username`` names the actor when there is no user (e.g. ``anonymous`` for a failed login).

    ``outcome`` is ``"ok"``, ``"error"`` or ``"denied"``; ``detail`` says what went wrong. Callers
    record failures too, after their transaction rolled back, so the entry survives it.
    """
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown audit outcome {outcome!r}; expected one of {Outcome.values}.")
    if user is not None and not user.is_authenticated:
        user = None
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user is not None else (username or SYSTEM_USERNAME),
        action=action[:64],
        target=target[:255],
        selection=selection or {},
        row_count=row_count,
        outcome=outcome,
        detail=detail,
    )
