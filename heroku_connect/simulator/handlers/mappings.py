"""One mapping: read, delete and reload it, and its write errors
(docs/heroku-connect/api.md §3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heroku_connect.simulator.handlers import queries
from heroku_connect.simulator.handlers.common import API, M, mapping_or_404
from heroku_connect.simulator.handlers.representations import mapping_json
from heroku_connect.simulator.routing import HttpError, Request, Response, route
from heroku_connect.simulator.state import ConnectionState, MappingState

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "delete_mapping",
    "get_mapping",
    "mapping_errors",
    "reload_mapping",
)


@route("GET", rf"{API}/mappings/{M}")
def get_mapping(server: ApiServer, request: Request) -> Response:
    mapping = mapping_or_404(server, request.params["mapping_id"])
    return Response(
        200, mapping_json(server, mapping, queries.counts(server, [mapping]).get(mapping.id))
    )


@route("DELETE", rf"{API}/mappings/{M}")
def delete_mapping(server: ApiServer, request: Request) -> Response:
    mapping = mapping_or_404(server, request.params["mapping_id"])
    if server.state.connection_state == ConnectionState.IMPORT_CONFIGURATION:
        raise HttpError(409, "The connection is importing a configuration; try again later.")
    server.state.delete_mapping(mapping.id)
    return Response(204)


@route("POST", rf"{API}/mappings/{M}/actions/reload")
def reload_mapping(server: ApiServer, request: Request) -> Response:
    mapping = mapping_or_404(server, request.params["mapping_id"])
    if server.state.connection_state == ConnectionState.IMPORT_CONFIGURATION:
        raise HttpError(409, "The connection is importing a configuration; try again later.")
    if mapping.state == MappingState.RELOAD_TABLE:
        raise HttpError(409, f"Mapping {mapping.object_name} is already reloading.")
    server.importer.start_reload(mapping.id)
    return Response(202, {"message": f"Reloading {mapping.object_name}."})


@route("GET", rf"{API}/mappings/{M}/errors")
def mapping_errors(server: ApiServer, request: Request) -> Response:
    mapping = mapping_or_404(server, request.params["mapping_id"])
    results = queries.write_errors(server, mapping.table_name)
    return Response(200, {"count": len(results), "results": results})
