"""The project's middleware: response headers on top of Django's SecurityMiddleware, and the
page for a request that ran into the web statement timeout."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from app.core.db import is_statement_timeout

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` (if set) unless the view set its own.

    The templates load scripts only from our static files (no inline scripts, no CDN), so the
    policy forbids inline and foreign scripts; Django's admin needs inline ``style`` attributes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class StatementTimeoutMiddleware:
    """A request whose SQL ran into the web ``statement_timeout`` gets a 503 page saying so.

    The cancelled statement's transaction was rolled back before the exception reached here, so
    the page can say that the request changed nothing. It needs no database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_statement_timeout(exception):
            return None
        seconds = settings.WEB_STATEMENT_TIMEOUT_MS / 1000
        logger.warning(
            "Statement timeout (%s s) on %s %s", f"{seconds:g}", request.method, request.path
        )
        response = render(request, "503.html", {"timeout_seconds": seconds}, status=503)
        response["Retry-After"] = "60"
        return response
