"""What every handler uses: path patterns, the request body, lookups that answer 404."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from heroku_connect.simulator.routing import HttpError, Request
from heroku_connect.simulator.state import Connection, Mapping

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "API",
    "C",
    "M",
    "connection_or_404",
    "iso",
    "mapping_or_404",
    "object_body",
    "owns_app",
)

C = r"(?P<connection_id>[^/]+)"
M = r"(?P<mapping_id>[^/]+)"
API = r"/api/v3"


def iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def object_body(request: Request) -> dict[str, Any]:
    if request.body is None:
        return {}
    if not isinstance(request.body, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    return request.body


def owns_app(server: ApiServer, app: str) -> bool:
    connection = server.state.snapshot()
    return app in (connection.app_name, connection.app_id, connection.resource_name)


def connection_or_404(server: ApiServer, connection_id: str) -> Connection:
    """The simulator's connection if ``connection_id`` is its id; 404 otherwise."""
    connection = server.state.snapshot()
    if connection_id != connection.id:
        raise HttpError(404, f"Connection {connection_id} not found.")
    return connection


def mapping_or_404(server: ApiServer, mapping_id: str) -> Mapping:
    mapping = server.state.mapping(mapping_id)
    if mapping is None:
        raise HttpError(404, f"Mapping {mapping_id} not found.")
    return mapping
