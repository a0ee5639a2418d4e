"""Every login, logout and failed login in the audit trail (never the password).

The failed-login receiver runs after django-axes' own (the ``axes`` app is installed before this
one), so ``request.axes_locked_out`` already says whether this attempt was refused or locked.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from app.audit.models import Outcome
from app.audit.services import record_action

from .client_ip import client_ip, user_agent
from .throttle import current_lockouts, minutes_left

ANONYMOUS = "anonymous"


def _client(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    return {"ip": client_ip(request), "user_agent": user_agent(request, 200)}


def _from_a_client(request: HttpRequest | None) -> bool:
    """True for a client's HTTP request; False for the bare request Django's test client
    builds for ``force_login`` / ``logout`` (no method), which no operator made."""
    return request is not None and request.method is not None


@receiver(user_logged_in, dispatch_uid="audit-login")
def record_login(sender: type, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A login (the login page, the admin's login)."""
    if _from_a_client(request):
        record_action(user=user, action="auth.login", target="login", selection=_client(request))


@receiver(user_logged_out, dispatch_uid="audit-logout")
def record_logout(sender: type, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A logout (logging out without a session is no event)."""
    if user is not None and _from_a_client(request):
        record_action(user=user, action="auth.logout", target="logout", selection=_client(request))


def _account(username: str) -> Any:
    """The account a failed login named, if it exists (so the audit trail files it there)."""
    model = get_user_model()
    field = model._meta.get_field(model.USERNAME_FIELD)
    if not username or "\x00" in username or len(username) > (field.max_length or 150):
        return None
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A failed login: the account it named (if any), the client, and whether it is locked."""
    model = get_user_model()
    attempted = str(credentials.get(model.USERNAME_FIELD) or credentials.get("username") or "")
    attempted = attempted.replace("\x00", "")[:150]
    account = _account(attempted)
    if getattr(request, "axes_locked_out", False):
        ip = client_ip(request) if request is not None else None
        minutes = minutes_left(current_lockouts(username=attempted or None, ip_address=ip))
        detail = f"Too many failed logins: locked out for {minutes} more minute(s)."
    else:
        detail = "Wrong username or password."
    record_action(
        user=account,
        username=ANONYMOUS,
        action="auth.login_failed",
        target=f"login as {attempted!r}"[:255],
        selection={**_client(request), "username": attempted},
        outcome=Outcome.DENIED,
        detail=detail,
    )
