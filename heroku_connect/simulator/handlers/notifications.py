"""A connection's notifications: list and acknowledge them, filtered by time and event type
(docs/heroku-connect/api.md §3).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from heroku_connect.simulator.handlers.common import API, C, connection_or_404
from heroku_connect.simulator.routing import HttpError, Request, Response, route

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "acknowledge",
    "notifications",
)


def _parse_time(value: str | None, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"Invalid request parameters: {name} is not a timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _notification_filters(request: Request) -> dict[str, Any]:
    unknown = sorted(set(request.query) - {"after", "before", "event_type", "page_size"})
    if unknown:
        raise HttpError(400, f"Invalid request parameters: {', '.join(unknown)}.")
    page_size = request.query_value("page_size")
    if page_size is not None and (not page_size.isdigit() or int(page_size) < 1):
        raise HttpError(400, "Invalid request parameters: page_size must be a positive integer.")
    return {
        "after": _parse_time(request.query_value("after"), "after"),
        "before": _parse_time(request.query_value("before"), "before"),
        "event_type": request.query_value("event_type"),
    }


@route("GET", rf"{API}/connections/{C}/notifications")
def notifications(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    filters = _notification_filters(request)
    page_size = int(request.query_value("page_size") or 1000)
    found = server.state.matching_notifications(**filters)[:page_size]
    return Response(200, {"count": len(found), "results": [n.as_json() for n in found]})


@route("POST", rf"{API}/connections/{C}/notifications/acknowledge")
def acknowledge(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    filters = _notification_filters(request)
    found = server.state.matching_notifications(**filters)
    server.state.acknowledge({n.id for n in found})
    return Response(204)
