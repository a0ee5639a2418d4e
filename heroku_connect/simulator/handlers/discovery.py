"""Finding and linking connections: discovery (central and regional), the access-list link
and the app's candidate databases (docs/heroku-connect/api.md §1-§3).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from heroku_connect.simulator.handlers.common import API, owns_app
from heroku_connect.simulator.handlers.representations import (
    connection_json,
    discovery_item,
    regions_and_cells,
)
from heroku_connect.simulator.routing import HttpError, Request, Response, route

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "app_db_keys",
    "current_user",
    "link_account",
    "list_connections",
)


def _app_name(server: ApiServer, request: Request) -> str:
    app = request.query_value("app") or request.query_value("resource_name")
    if not app:
        raise HttpError(400, "Invalid request parameters: 'app' is required.")
    return app


@route("GET", "/connections")
@route("GET", f"{API}/connections")
def list_connections(server: ApiServer, request: Request) -> Response:
    """Discovery (central) and the older regional list: one shape serves both."""
    app = _app_name(server, request)
    connection = server.state.snapshot()
    results = []
    if owns_app(server, app):
        item = discovery_item(server, connection)
        if request.flag("deep"):
            item["mappings"] = connection_json(server, connection, deep=True)["mappings"]
        results.append(item)
    return Response(
        200,
        {
            "count": len(results),
            "next": None,
            "previous": None,
            "results": results,
            **regions_and_cells(server),
        },
    )


@route("POST", r"/auth/(?P<app>[^/]+)")
@route("POST", rf"{API}/auth/(?P<app>[^/]+)")
@route("POST", r"/users/me/apps/(?P<app>[^/]+)/auth")
@route("POST", rf"{API}/users/me/apps/(?P<app>[^/]+)/auth")
def link_account(server: ApiServer, request: Request) -> Response:
    """Add the caller to the app's access list (idempotent)."""
    app = request.params["app"]
    if not owns_app(server, app):
        raise HttpError(403, f"You do not have access to the app {app}.")
    connection = server.state.snapshot()
    return Response(
        200,
        {
            "user": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, server.token)), "email": None},
            "connections": [discovery_item(server, connection)],
            **regions_and_cells(server),
        },
    )


@route("GET", rf"{API}/users/me")
def current_user(server: ApiServer, request: Request) -> Response:
    return Response(200, {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, server.token)), "email": None})


@route("GET", rf"{API}/apps/(?P<app>[^/]+)")
def app_db_keys(server: ApiServer, request: Request) -> Response:
    """Candidate database config vars of the app (#5): the simulator's one database."""
    if not owns_app(server, request.params["app"]):
        raise HttpError(404, f"App {request.params['app']} not found.")
    return Response(
        200,
        {"db_keys": [{"name": server.state.snapshot().db_key, "addon": {"plan": "standard-0"}}]},
    )
