"""Diagnose: start a run, poll its result, check one mapping
(docs/heroku-connect/api.md §6).

The checks are computed from the connection's state when the run starts; the result answers
202 until ``validation_seconds`` have passed.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from heroku_connect.simulator.handlers.common import API, C, M, connection_or_404, mapping_or_404
from heroku_connect.simulator.handlers.representations import mapping_ok
from heroku_connect.simulator.routing import HttpError, Request, Response, route
from heroku_connect.simulator.state import Connection, ConnectionState, utcnow

if TYPE_CHECKING:
    from heroku_connect.simulator.server import ApiServer

__all__ = (
    "diagnose",
    "mapping_validation",
    "start_validation",
    "validation_result",
)


DOC_URL = "https://devcenter.heroku.com/articles/heroku-connect-diagnose"


def _check(rule_id: str, name: str, passed: bool | None, message: str) -> dict[str, Any]:
    status = "SKIPPED" if passed is None else ("PASSED" if passed else "FAILED")
    return {
        "rule_id": rule_id,
        "display_name": name,
        "status": status,
        "message": message,
        "doc_url": f"{DOC_URL}#{rule_id.lower().replace('_', '-')}",
    }


def _sort_checks(checks: list[dict[str, Any]], warn: set[str]) -> dict[str, list]:
    result: dict[str, list] = {"errors": [], "warnings": [], "passes": [], "skips": []}
    for check in checks:
        if check["status"] == "PASSED":
            result["passes"].append(check)
        elif check["status"] == "SKIPPED":
            result["skips"].append(check)
        elif check["rule_id"] in warn:
            result["warnings"].append(check)
        else:
            result["errors"].append(check)
    return result


def diagnose(connection: Connection) -> dict[str, Any]:
    """The diagnose result and its rule ids (docs/heroku-connect/api.md §6)."""
    state = connection.state
    n = len(connection.mappings)
    checks = [
        _check(
            "NUM_MAPPINGS_WITHIN_LIMIT",
            "Number of Mappings",
            n <= 100,
            f"{n} mappings; use no more than 100 mappings.",
        ),
        _check(
            "HEROKU_POSTGRES_REQUIRED",
            "Heroku Postgres",
            state != ConnectionState.DB_UNAVAILABLE,
            "The database is reachable."
            if state != ConnectionState.DB_UNAVAILABLE
            else "The database is unavailable.",
        ),
        _check("REGIONS_SHOULD_MATCH", "Data Locality", True, "App and connection share a region."),
        _check(
            "SHOULD_HAVE_VALID_SF_PERMISSIONS",
            "View/Modify All Data",
            state not in (ConnectionState.UNAUTHORIZED, ConnectionState.NEED_AUTHENTICATION),
            "The Salesforce user has View All Data and Modify All Data."
            if state not in (ConnectionState.UNAUTHORIZED, ConnectionState.NEED_AUTHENTICATION)
            else "Salesforce authorization failed; re-authorize the connection.",
        ),
        _check(
            "MUST_USE_RECENT_API_VERSION",
            "Salesforce API Version",
            True,
            f"The connection uses the latest API version {connection.api_version}.",
        ),
        _check(
            "SHOULD_HAVE_LOG_DRAIN",
            "Configured Logging",
            connection.logplex_log_enabled,
            "Logs are sent to Logplex."
            if connection.logplex_log_enabled
            else "Add a log drain to keep Heroku Connect logs.",
        ),
        _check(
            "PAID_PLAN_MUST_HAVE_PAID_DATABASE",
            "Database Plan",
            None if connection.plan == "demo" else True,
            "Skipped on the demo plan." if connection.plan == "demo" else "Paid database.",
        ),
    ]
    result = _sort_checks(checks, warn={"MUST_USE_RECENT_API_VERSION", "SHOULD_HAVE_LOG_DRAIN"})
    mappings = {}
    for m in connection.mappings.values():
        fields = len(m.config.fields)
        mapping_checks = [
            _check(
                "MAPPING_NUM_FIELDS_WITHIN_LIMIT",
                "Number of Fields",
                fields <= 100,
                f"{fields} fields mapped; map no more than 100.",
            ),
            _check(
                "MAPPING_NUM_LARGE_TEXT_FIELDS_WITHIN_LIMIT",
                "Number of Large Text Area Fields",
                True,
                "Few enough Long Text Area fields.",
            ),
            _check(
                "MAPPING_STATE_OK",
                "Mapping State",
                mapping_ok(m),
                f"The mapping is {m.state.value}.",
            ),
        ]
        mappings[m.object_name] = _sort_checks(mapping_checks, warn=set())
    result["mappings"] = mappings
    return result


@route("POST", rf"{API}/connections/{C}/validations")
def start_validation(server: ApiServer, request: Request) -> Response:
    connection = connection_or_404(server, request.params["connection_id"])
    ready_at = utcnow() + datetime.timedelta(seconds=server.validation_seconds)
    validation = server.state.add_validation(ready_at, diagnose(server.state.snapshot()))
    url = f"{server.api_url}/connections/{connection.id}/validations/{validation.id}"
    return Response(202, {"result_url": url})


@route("GET", rf"{API}/connections/{C}/validations/(?P<validation_id>[^/]+)")
def validation_result(server: ApiServer, request: Request) -> Response:
    connection_or_404(server, request.params["connection_id"])
    validation = server.state.validation(request.params["validation_id"])
    if validation is None:
        raise HttpError(404, "Validation not found.")
    if utcnow() < validation.ready_at:
        return Response(202, {"message": "The validation is still running."})
    return Response(200, validation.result)


@route("GET", rf"{API}/mappings/{M}/validations")
def mapping_validation(server: ApiServer, request: Request) -> Response:
    mapping = mapping_or_404(server, request.params["mapping_id"])
    return Response(200, diagnose(server.state.snapshot())["mappings"].get(mapping.object_name, {}))
