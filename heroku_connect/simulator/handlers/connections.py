"""One connection: read and change it, import and export its configuration, pause, resume
and recover it, its write errors, object describes, OAuth and the Salesforce API version
(docs/heroku-connect/api.md §3).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from heroku_connect.simulator.handlers import queries
from heroku_connect.simulator.handlers.common import API, C, connection_or_404, object_body
from heroku_connect.simulator.handlers.representations import connection_json
from heroku_connect.simulator.importer import ImportError_, export_document, validate_document
from heroku_connect.simulator.routing import HttpError, Request, Response, route
from heroku_connect.simulator.state import MappingState

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "authorize_url",
    "change_api_version",
    "connection_errors",
    "describe",
    "export_configuration",
    "get_connection",
    "import_configuration",
    "patch_connection",
    "pause",
    "restart",
    "resume",
    "schema_diff",
)


@route("GET", rf"{API}/connections/{C}")
def get_connection(server: ApiServer, request: Request) -> Response:
    connection = connection_or_404(server, request.params["connection_id"])
    return Response(200, connection_json(server, connection, deep=request.flag("deep")))


@route("PATCH", rf"{API}/connections/{C}")
def patch_connection(server: ApiServer, request: Request) -> Response:
    connection = connection_or_404(server, request.params["connection_id"])
    body = object_body(request)
    allowed = {"db_key", "schema_name", "name", "features"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise HttpError(400, f"Unknown connection fields: {', '.join(unknown)}.")
    for key in ("db_key", "schema_name", "name"):
        if key in body and (not isinstance(body[key], str) or not body[key]):
            raise HttpError(400, f"{key} must be a non-empty string.")
    features = body.get("features")
    if features is not None and (
        not isinstance(features, dict)
        or not all(k in connection.features and isinstance(v, bool) for k, v in features.items())
    ):
        raise HttpError(400, "features must map known feature names to true or false.")
    if body.get("schema_name", connection.schema_name) != connection.schema_name:
        raise HttpError(
            409, "The simulator serves one schema; schema_name cannot change after start."
        )
    server.state.patch_connection(**body)
    return Response(200, connection_json(server, server.state.snapshot(), deep=False))


@route("POST", rf"{API}/connections/{C}/actions/import")
def import_configuration(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    if request.body is None:
        raise HttpError(400, "Send the configuration document as the JSON body.")
    try:
        planned = validate_document(request.body, server.org)
    except ImportError_ as exc:
        raise HttpError(400, str(exc)) from None
    warnings = server.importer.start_import(planned)
    return Response(202, {"message": "Import started.", "warnings": warnings})


@route("GET", rf"{API}/connections/{C}/actions/export")
def export_configuration(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    return Response(200, export_document(server.state))


@route("POST", rf"{API}/connections/{C}/actions/pause")
def pause(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    server.state.pause()
    return Response(202, {"message": "Connection paused."})


@route("POST", rf"{API}/connections/{C}/actions/resume")
def resume(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    server.state.resume()
    return Response(202, {"message": "Connection resumed."})


@route("POST", rf"{API}/connections/{C}/actions/restart")
def restart(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    server.importer.start_recovery(server.state.restart())
    return Response(202, {"message": "Connection restarted."})


@route("GET", rf"{API}/connections/{C}/errors")
def connection_errors(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    results = queries.write_errors(server, None)
    return Response(200, {"count": len(results), "results": results})


@route("GET", rf"{API}/connections/{C}/schemas/(?P<object_name>[^/]+)")
def describe(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    name = request.params["object_name"]
    if not server.org.has_object(name):
        raise HttpError(404, f"Unknown Salesforce object {name}.")
    return Response(200, server.org.describe(name).as_json())


@route("POST", rf"{API}/connections/{C}/authorize_url")
def authorize_url(server: ApiServer, request: Request) -> Response:
    """Start Salesforce OAuth (#6): 201 with the login URL of the chosen environment."""
    connection_or_404(server, request.params["connection_id"])
    body = object_body(request)
    environment = body.get("environment", "production")
    hosts = {"production": "login.salesforce.com", "sandbox": "test.salesforce.com"}
    if environment == "custom":
        domain = body.get("domain")
        if not isinstance(domain, str) or not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
            raise HttpError(400, "A custom environment needs a login 'domain'.")
        host = domain
    elif environment in hosts:
        host = hosts[environment]
    else:
        raise HttpError(400, "environment must be production, sandbox or custom.")
    return Response(201, {"redirect": f"https://{host}/services/oauth2/authorize?simulated=1"})


def _target_version(value: Any) -> str:
    if not isinstance(value, str | int | float) or not re.fullmatch(r"\d{2}(\.0)?", str(value)):
        raise HttpError(400, "Invalid request parameters: target_version must look like 61.0.")
    return f"{int(float(value))}.0"


def _schema_diff(server: ApiServer, target: str) -> dict[str, Any]:
    connection = server.state.snapshot()
    return {
        "current_api_version": connection.api_version,
        "target_api_version": target,
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{connection.id}/{target}")),
        "mappings": [
            {
                "name": m.object_name,
                "fields_have_changed": False,
                "has_unsafe_changes": False,
                "action_undetermined": False,
                "result_message": "No field changes between the versions.",
            }
            for m in connection.mappings.values()
        ],
    }


@route("GET", rf"{API}/connections/{C}/schema-diff")
def schema_diff(server: ApiServer, request: Request) -> Response:
    """Per-mapping field diff to a target API version (#24); the simulated org never differs."""
    connection_or_404(server, request.params["connection_id"])
    return Response(
        200, _schema_diff(server, _target_version(request.query_value("target_version")))
    )


@route("POST", rf"{API}/connections/{C}/actions/change-sf-api-version")
@route("POST", rf"{API}/connections/{C}/actions/upgrade-api-version")
def change_api_version(server: ApiServer, request: Request) -> Response:
    """Change the Salesforce API version (#25): PAUSED only, and no mapping still polling."""
    connection_or_404(server, request.params["connection_id"])
    target = _target_version(object_body(request).get("target_version"))
    syncing = [
        m.object_name
        for m in server.state.mappings()
        if m.state in (MappingState.POLLING_SF_CHANGES, MappingState.POLLING_SF_BULK)
    ]
    if syncing:
        raise HttpError(
            409, f"Mapping {syncing[0]} is still syncing.", error=f"Mapping {syncing[0]} is "
            "still syncing. Try again when it is done.", syncing_mappings=syncing,
        )  # fmt: skip
    diff = _schema_diff(server, target)
    server.state.change_api_version(target)
    return Response(202, {**diff, "target_version": target})
