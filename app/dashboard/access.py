"""Access control shared by every dashboard view (and by the other dashboard apps)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from app.core.redirects import MAX_NEXT_LENGTH

VIEW_DASHBOARD = "dashboard.view_dashboard"
RETRY_WRITES = "dashboard.retry_writes"
IGNORE_WRITES = "dashboard.ignore_writes"
MANAGE_MAPPINGS = "dashboard.manage_mappings"

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, permission: str) -> HttpResponse:
    """The dashboard's 403 page, naming the missing permission."""
    return TemplateResponse(request, "dashboard/403.html", {"permission": permission}, status=403)


def _path_to_return_to(request: HttpRequest) -> str:
    """The path (and query) to come back to after login; without an overlong query string,
    which would not be a usable ``next`` anyway (and Django refuses such redirects)."""
    full_path = request.get_full_path()
    return full_path if len(full_path) <= MAX_NEXT_LENGTH else request.path


def require_perm(permission: str) -> Callable[[View], View]:
    """Require a logged-in user (else redirect to login) holding ``permission`` (else 403).

    Responses are never cached: the pages show live operational data.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(_path_to_return_to(request))
            if not request.user.has_perm(permission):
                return forbidden(request, permission)
            return view(request, *args, **kwargs)

        return never_cache(wrapped)

    return decorator
