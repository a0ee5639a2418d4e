"""The simulator's own control API under ``/__simulator__/`` (no token, no faults): faults,
connection and mapping states, the write algorithm, notifications and a status summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heroku_connect.simulator.handlers.common import object_body
from heroku_connect.simulator.routing import HttpError, Request, Response, route
from heroku_connect.simulator.state import ConnectionState, MappingState

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "add_notification",
    "clear_faults",
    "set_connection_state",
    "set_faults",
    "set_mapping_state",
    "set_write_algorithm",
    "status",
)


CONTROL = r"/__simulator__"
FAULT_TYPES: dict[str, type | tuple[type, ...]] = {
    "latency": (int, float),
    "status": int,
    "timeout": bool,
    "timeout_seconds": (int, float),
    "unauthorized": bool,
    "invalid_json": bool,
    "drop": bool,
    "retry_after": (str, int),
    "times": int,
}


@route("POST", f"{CONTROL}/faults", auth=False)
def set_faults(server: ApiServer, request: Request) -> Response:
    body = object_body(request)
    changes = {}
    for name, value in body.items():
        expected = FAULT_TYPES.get(name)
        if expected is None:
            raise HttpError(400, f"Unknown fault {name!r}; known: {', '.join(FAULT_TYPES)}.")
        if value is None and name in ("status", "retry_after", "times"):
            changes[name] = None
            continue
        if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            raise HttpError(400, f"Fault {name!r} has the wrong type.")
        if name == "status" and not 400 <= value <= 599:
            raise HttpError(400, "Fault 'status' must be an HTTP error status (400-599).")
        if name in ("latency", "timeout_seconds") and value < 0:
            raise HttpError(400, f"Fault {name!r} must not be negative.")
        if name == "times" and value < 1:
            raise HttpError(400, "Fault 'times' must be at least 1 (or null: until cleared).")
        changes[name] = str(value) if name == "retry_after" else value
    faults = server.state.set_faults(**changes)
    return Response(200, faults.as_json())


@route("DELETE", f"{CONTROL}/faults", auth=False)
def clear_faults(server: ApiServer, request: Request) -> Response:
    server.state.clear_faults()
    return Response(200, server.state.current_faults().as_json())


@route("GET", f"{CONTROL}/requests", auth=False)
def request_counts(server: ApiServer, request: Request) -> Response:
    """API requests received per ``"METHOD /path"`` since the start or the last reset."""
    return Response(200, server.state.request_counts())


@route("DELETE", f"{CONTROL}/requests", auth=False)
def reset_request_counts(server: ApiServer, request: Request) -> Response:
    server.state.reset_request_counts()
    return Response(200, {})


@route("POST", f"{CONTROL}/connection-state", auth=False)
def set_connection_state(server: ApiServer, request: Request) -> Response:
    body = object_body(request)
    try:
        state = ConnectionState(body.get("state"))
    except ValueError:
        raise HttpError(
            400, f"Unknown connection state; known: {', '.join(s.value for s in ConnectionState)}."
        ) from None
    server.state.set_connection_state(state)
    return Response(200, {"state": state.value})


@route("POST", f"{CONTROL}/mapping-state", auth=False)
def set_mapping_state(server: ApiServer, request: Request) -> Response:
    body = object_body(request)
    name = body.get("object_name")
    mapping = server.state.mapping_for_object(name) if isinstance(name, str) else None
    if mapping is None:
        raise HttpError(404, f"No mapping for object {name!r}.")
    try:
        state = MappingState(body.get("state"))
    except ValueError:
        raise HttpError(
            400, f"Unknown mapping state; known: {', '.join(s.value for s in MappingState)}."
        ) from None
    server.state.set_mapping_state(mapping.id, state)
    return Response(200, {"object_name": mapping.object_name, "state": state.value})


@route("POST", f"{CONTROL}/write-algorithm", auth=False)
def set_write_algorithm(server: ApiServer, request: Request) -> Response:
    body = object_body(request)
    algorithm = body.get("algorithm")
    if algorithm not in ("ordered", "merged"):
        raise HttpError(400, "algorithm must be 'ordered' or 'merged'.")
    server.state.set_ordered_writes(algorithm == "ordered")
    return Response(200, {"algorithm": algorithm})


@route("POST", f"{CONTROL}/notifications", auth=False)
def add_notification(server: ApiServer, request: Request) -> Response:
    body = object_body(request)
    event_type = body.get("event_type", "mapping-error")
    message = body.get("message")
    if not isinstance(event_type, str) or not isinstance(message, str) or not message:
        raise HttpError(400, "Send {event_type, message} strings.")
    return Response(201, server.state.add_notification(event_type, message).as_json())


@route("GET", f"{CONTROL}/status", auth=False)
def status(server: ApiServer, request: Request) -> Response:
    connection = server.state.snapshot()
    return Response(
        200,
        {
            "connection_id": connection.id,
            "app_name": connection.app_name,
            "state": connection.state.value,
            "ordered_writes": connection.ordered_writes,
            "mappings": {m.object_name: m.state.value for m in connection.mappings.values()},
            "faults": server.state.current_faults().as_json(),
            "api_requests": server.state.api_requests,
            "api_url": server.api_url,
        },
    )
