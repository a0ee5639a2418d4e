"""Health of the Heroku Connect connections, independent of django-health-check's version.

:func:`connect_health` asks the API for the app's connections and their mappings and returns
the problems found. The health-check contrib
(:mod:`heroku_connect.contrib.heroku_connect_health_check`) turns them into the exceptions of
whichever django-health-check major is installed.

API results are cached in Django's cache for ``HEROKU_CONNECT_HEALTH_CACHE_SECONDS`` (default
60) so that uptime probes do not call the API on every request; failures are not cached. The
cache holds only names and states, never the token.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from heroku_connect.api import APIUnavailableError, HerokuConnectAPIError, HerokuConnectClient
from heroku_connect.conf import settings
from heroku_connect.states import (
    ERROR_MAPPING_STATES,
    OK_MAPPING_STATES,
    TEMPORARY_ERROR_MAPPING_STATES,
    ConnectionStates,
)

__all__ = (
    "DEFAULT_HEALTH_TIMEOUT",
    "HealthProblem",
    "Severity",
    "connect_health",
    "fetch_connection_states",
)

logger = logging.getLogger(__name__)

#: Seconds the health check waits for the API (all its calls together).
DEFAULT_HEALTH_TIMEOUT = 10.0

MISSING_CONFIGURATION = "Both App Name and Auth Token are required"
UNABLE_TO_RETRIEVE = "Unable to retrieve connection state"

_KNOWN_CONNECTION_STATES = frozenset(
    value
    for name, value in vars(ConnectionStates).items()
    if name.isupper() and isinstance(value, str)
)
_FAILING_MAPPING_STATES = frozenset(
    state.value for state in (*ERROR_MAPPING_STATES, *TEMPORARY_ERROR_MAPPING_STATES)
)
_OK_MAPPING_STATES = frozenset(state.value for state in OK_MAPPING_STATES)


class Severity(enum.StrEnum):
    """How bad a problem is; maps to django-health-check's exception types."""

    UNAVAILABLE = "unavailable"  # ServiceUnavailable
    UNEXPECTED = "unexpected"  # ServiceReturnedUnexpectedResult
    WARNING = "warning"  # ServiceWarning


@dataclass(frozen=True)
class HealthProblem:
    """One finding of the health check; ``message`` never contains a secret."""

    severity: Severity
    message: str


def fetch_connection_states(
    client: HerokuConnectClient, app_name: str, *, budget: float | None = None
) -> list[dict[str, Any]]:
    """``[{"name", "state", "mappings": [{"object_name", "state"}]}]`` of the app's connections.

    One GET for the list and one deep GET per connection; API errors propagate. With
    ``budget`` (seconds) all the calls together take at most that long: each call's timeout is
    what is left of it.
    """
    deadline = None if budget is None else time.monotonic() + budget

    def within_budget() -> HerokuConnectClient:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise APIUnavailableError(
                    f"Heroku Connect API did not answer within {budget:g} s in total."
                )
            client.timeout = left
        return client

    snapshot = []
    for connection in within_budget().list_connections(app_name):
        detail = within_budget().get_connection(connection["id"], deep=True)
        snapshot.append(
            {
                "name": str(connection.get("name") or detail.get("name") or connection["id"]),
                "state": str(connection.get("state") or detail.get("state") or ""),
                "mappings": [
                    {"object_name": str(m.get("object_name", "")), "state": str(m.get("state"))}
                    for m in detail.get("mappings") or []
                ],
            }
        )
    return snapshot


def _problems(snapshot: list[dict[str, Any]]) -> list[HealthProblem]:
    problems = []
    for connection in snapshot:
        name, state = connection["name"], connection["state"]
        if state not in ConnectionStates.OK_STATES:
            if state in _KNOWN_CONNECTION_STATES:
                problems.append(
                    HealthProblem(
                        Severity.UNAVAILABLE, f"Connection state for '{name}' is '{state}'"
                    )
                )
            else:
                problems.append(
                    HealthProblem(
                        Severity.WARNING,
                        f"Connection state for '{name}' is '{state}', an unknown state",
                    )
                )
        for mapping in connection["mappings"]:
            object_name, mapping_state = mapping["object_name"], mapping["state"]
            if mapping_state in _FAILING_MAPPING_STATES:
                problems.append(
                    HealthProblem(
                        Severity.UNAVAILABLE,
                        f"mapping {object_name} on connection {name} is in state {mapping_state}",
                    )
                )
            elif mapping_state not in _OK_MAPPING_STATES:
                problems.append(
                    HealthProblem(
                        Severity.WARNING,
                        f"mapping {object_name} on connection {name} is in unknown state "
                        f"{mapping_state}",
                    )
                )
    return problems


def _cache_key(endpoint: str, app_name: str) -> str:
    digest = hashlib.sha256(f"{endpoint}\n{app_name}".encode()).hexdigest()[:32]
    return f"heroku_connect:health:{digest}"


def _cache_get(key: str) -> Any:
    from django.core.cache import cache

    try:
        return cache.get(key)
    except Exception:  # a broken cache must not fail the Heroku Connect check
        logger.warning("Heroku Connect health: the cache is unavailable", exc_info=True)
        return None


def _cache_set(key: str, value: Any, seconds: float) -> None:
    from django.core.cache import cache

    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("Heroku Connect health: the cache is unavailable", exc_info=True)


def connect_health(
    *,
    app_name: str | None = None,
    endpoint: str | None = None,
    token: str | None = None,
    timeout: float = DEFAULT_HEALTH_TIMEOUT,
    cache_seconds: float | None = None,
) -> list[HealthProblem]:
    """The problems of the app's connections and mappings (empty when healthy).

    ``app_name``, ``endpoint``, ``token`` and ``cache_seconds`` default to the settings
    ``HEROKU_CONNECT_APP_NAME``, ``HEROKU_CONNECT_API_ENDPOINT``, ``HEROKU_AUTH_TOKEN`` and
    ``HEROKU_CONNECT_HEALTH_CACHE_SECONDS``. Known failing states are ``UNAVAILABLE``, unknown
    states a ``WARNING`` naming the state, and an API failure one ``UNEXPECTED`` problem.
    """
    if app_name is None:
        app_name = getattr(settings, "HEROKU_CONNECT_APP_NAME", "")
    if token is None:
        token = getattr(settings, "HEROKU_AUTH_TOKEN", "")
    if not (app_name and token):
        return [HealthProblem(Severity.UNAVAILABLE, MISSING_CONFIGURATION)]
    if cache_seconds is None:
        cache_seconds = float(getattr(settings, "HEROKU_CONNECT_HEALTH_CACHE_SECONDS", 60))
    with HerokuConnectClient(endpoint, token, timeout=timeout) as client:
        key = _cache_key(client.endpoint, app_name)
        snapshot = _cache_get(key) if cache_seconds > 0 else None
        if snapshot is None:
            try:
                snapshot = fetch_connection_states(client, app_name, budget=timeout)
            except (HerokuConnectAPIError, KeyError, TypeError, AttributeError) as error:
                # The detail (never the token) goes to the log, not to the public page.
                logger.warning("Heroku Connect health: %s", error)
                return [HealthProblem(Severity.UNEXPECTED, UNABLE_TO_RETRIEVE)]
            if cache_seconds > 0:
                _cache_set(key, snapshot, cache_seconds)
    return _problems(snapshot)
