"""Routing of the simulator's HTTP API: requests, responses, errors and the route table.

Handlers (``handlers/``) register themselves with :func:`route`; the server
(:mod:`~heroku_connect.simulator.server`) finds them with :func:`resolve` and answers
:class:`HttpError` as ``{"message": ...}`` with its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = ("Handler", "HttpError", "Request", "Response", "Route", "resolve", "route")


class HttpError(Exception):
    """Answer ``status`` with ``{"message": message}`` (plus ``extra`` keys)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    params: dict[str, str]
    body: Any = None

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def flag(self, name: str) -> bool:
        value = self.query_value(name)
        return value is not None and value.lower() in ("true", "1", "yes")


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or None for no body
    raw: bytes | None = None  # sent as text/html instead of ``body`` (the invalid-JSON fault)
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["ApiServer", Request], Response]
_ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []


def route(method: str, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` and a path regex (named groups become params)."""

    def register(func: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}/?$"), func, auth))
        return func

    return register


@dataclass(frozen=True)
class Route:
    """The handler found for a request, whether it needs the token, and the path's params."""

    handler: Handler
    auth: bool
    params: dict[str, str]


def resolve(method: str, path: str) -> Route:
    """The route for ``method`` and ``path`` (HEAD is served by GET routes).

    Raises :class:`HttpError` 405 when the path exists for other methods, 404 when it does not.
    """
    allowed = False
    for route_method, pattern, func, auth in _ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        allowed = True
        if route_method == method or (method == "HEAD" and route_method == "GET"):
            return Route(func, auth, match.groupdict())
    if allowed:
        raise HttpError(405, f"Method {method} is not allowed on {path}.")
    raise HttpError(404, f"Not found: {path}")
