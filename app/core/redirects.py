"""Where a ``next`` parameter may send the browser: a path on this site, nothing else.

Every view that accepts ``next`` (login, logout, the retry/ignore pages) validates it here
before doing anything else, and redirects with ``HttpResponseRedirect`` (never ``redirect()``,
which would take a value like ``overview-x`` for a view name and fail after the work was done).
"""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

#: Longer ``next`` values are refused (a real page of ours is far shorter).
MAX_NEXT_LENGTH = 2000
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def local_path(request: HttpRequest, candidate: object) -> str | None:
    """``candidate`` if it is a local path (``/…``, not ``//host``, no control characters or
    backslashes, allowed by ``url_has_allowed_host_and_scheme``); otherwise ``None``."""
    if (
        not isinstance(candidate, str)
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or len(candidate) > MAX_NEXT_LENGTH
        or _UNSAFE.search(candidate)
    ):
        return None
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return candidate


def next_path(request: HttpRequest, *, fallback: str, field: str = "next") -> str:
    """The request's ``next`` (POST first, then GET) if it is a local path, else ``fallback``."""
    candidate = request.POST.get(field) or request.GET.get(field)
    return local_path(request, candidate) or fallback
