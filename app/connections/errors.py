"""Turning Heroku Connect API failures into a kind (stored) and a one-line banner text.

The client's exceptions (contract A) never carry the token in ``str(exc)``; the texts built here
add only the kind's label, so a banner can show them as they are.
"""

from __future__ import annotations

from enum import StrEnum


class APIErrorKind(StrEnum):
    NOT_CONFIGURED = "not_configured"
    UNAUTHORIZED = "unauthorized"
    UNREACHABLE = "unreachable"
    SERVER_ERROR = "server_error"
    HTTP_ERROR = "http_error"
    INVALID_RESPONSE = "invalid_response"
    UNEXPECTED = "unexpected"


KIND_LABELS: dict[APIErrorKind, str] = {
    APIErrorKind.NOT_CONFIGURED: "Heroku Connect API not configured (token, endpoint or app name)",
    APIErrorKind.UNAUTHORIZED: "Heroku Connect API refused the token (unauthorized)",
    APIErrorKind.UNREACHABLE: "Heroku Connect API unreachable or timed out",
    APIErrorKind.SERVER_ERROR: "Heroku Connect API server error",
    APIErrorKind.HTTP_ERROR: "Heroku Connect API rejected the request",
    APIErrorKind.INVALID_RESPONSE: "Heroku Connect API sent an invalid response",
    APIErrorKind.UNEXPECTED: "Unexpected error talking to Heroku Connect",
}


class NotConfigured(Exception):
    """Our own configuration is incomplete (e.g. ``HEROKU_CONNECT_APP_NAME`` is empty)."""


def api_error_kind(exc: BaseException) -> APIErrorKind:
    """Classify an exception raised by ``heroku_connect.api`` (or our own ``NotConfigured``)."""
    from heroku_connect import api

    if isinstance(exc, NotConfigured | api.APINotConfigured):
        return APIErrorKind.NOT_CONFIGURED
    if isinstance(exc, api.APIUnavailableError):
        return APIErrorKind.UNREACHABLE
    if isinstance(exc, api.APIInvalidResponse):
        return APIErrorKind.INVALID_RESPONSE
    if isinstance(exc, api.HerokuConnectAPIError):
        status = getattr(exc, "status_code", None)
        if status in (401, 403):
            return APIErrorKind.UNAUTHORIZED
        if status is not None and status >= 500:
            return APIErrorKind.SERVER_ERROR
        if status is not None:
            return APIErrorKind.HTTP_ERROR
        return APIErrorKind.UNREACHABLE
    return APIErrorKind.UNEXPECTED


def describe_kind(kind: str) -> str:
    """The banner label of a stored kind (unknown kinds fall back to the generic label)."""
    try:
        return KIND_LABELS[APIErrorKind(kind)]
    except ValueError:
        return KIND_LABELS[APIErrorKind.UNEXPECTED]


def describe_api_error(exc: BaseException) -> str:
    """One line for a banner: the kind's label and the client's (token-free) message.

    Unexpected exceptions are not echoed (their text could hold anything); they are logged.
    """
    kind = api_error_kind(exc)
    if kind == APIErrorKind.UNEXPECTED:
        return KIND_LABELS[kind] + " (see the logs)."
    return f"{KIND_LABELS[kind]}: {exc}"


def is_api_error(exc: BaseException) -> bool:
    """True for the failures we expect from the API (and our own missing configuration)."""
    return api_error_kind(exc) != APIErrorKind.UNEXPECTED
