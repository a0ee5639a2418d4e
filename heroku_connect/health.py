"""Health of the Heroku Connect connections, independent of django-health-check's version.

:func:`connect_health` asks the API for the app's connections and their mappings and returns
the problems found, classified by the state table of :mod:`heroku_connect.states`. The
health-check contrib (:mod:`heroku_connect.contrib.heroku_connect_health_check`) turns them into
the exceptions of whichever django-health-check major is installed.

By default every call asks the API (like the public package). With
``HEROKU_CONNECT_HEALTH_CACHE_SECONDS`` set, answers are shared through Django's cache so that
uptime probes cannot flood the API or the web tier:

* an answer is reused for that many seconds, a failed one for at most
  :data:`FAILURE_CACHE_SECONDS`;
* when it is older, ONE background thread asks the API again (one per process, and one per
  cache across processes through a lock in the cache) while every probe is answered at once
  from the last answer, its age in the message;
* only when there is no answer at all does a probe wait for the API, at most ``timeout``
  seconds and one probe per process; the others report "not known yet" at once.

So a hanging API never holds more than one web thread per process, and a probe never waits
longer than ``timeout``. The cache holds names, states and messages only, never the token.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from heroku_connect.api import (
    APIInvalidResponse,
    APINotConfigured,
    APIUnavailableError,
    HerokuConnectAPIError,
    HerokuConnectClient,
)
from heroku_connect.conf import settings
from heroku_connect.states import HealthClass, connection_health, mapping_health

__all__ = (
    "DEFAULT_HEALTH_TIMEOUT",
    "FAILURE_CACHE_SECONDS",
    "HealthProblem",
    "Reading",
    "Severity",
    "connect_health",
    "fetch_connection_states",
    "read_connection_states",
)

logger = logging.getLogger(__name__)

#: Seconds the health check waits for the API (all its calls together).
DEFAULT_HEALTH_TIMEOUT = 10.0
#: Longest reuse of a failed answer when the cache is on (a recovery shows within this).
FAILURE_CACHE_SECONDS = 15.0
#: How long past its freshness an answer may still be served while a new one is fetched.
STALE_GRACE_SECONDS = 300.0
#: Extra seconds of the cross-process refresh lock beyond the timeout (a crashed owner's lock
#: expires by itself).
_LOCK_MARGIN_SECONDS = 5.0
#: Extra seconds a probe waiting for the first answer gives a read that ends at its timeout
#: (django-health-check 4.x gives a check its timeout + 1 s).
_FIRST_ANSWER_MARGIN_SECONDS = 0.5

MISSING_CONFIGURATION = "Both App Name and Auth Token are required"
UNABLE_TO_RETRIEVE = "Unable to retrieve connection state"
NOT_KNOWN_YET = "Heroku Connect state not known yet: waiting for the API's first answer"


class Severity(enum.StrEnum):
    """How bad a problem is; maps to django-health-check's exception types."""

    UNAVAILABLE = "unavailable"  # ServiceUnavailable
    UNEXPECTED = "unexpected"  # ServiceReturnedUnexpectedResult
    WARNING = "warning"  # ServiceWarning


#: How each health class of the state table is reported (healthy states are not reported).
SEVERITY_OF_HEALTH: dict[HealthClass, Severity] = {
    HealthClass.UNHEALTHY: Severity.UNAVAILABLE,
    HealthClass.SETUP_NEEDED: Severity.UNAVAILABLE,
    HealthClass.WARNING: Severity.WARNING,
    HealthClass.TRANSIENT: Severity.WARNING,
    HealthClass.UNKNOWN: Severity.WARNING,
}


@dataclass(frozen=True)
class HealthProblem:
    """One finding of the health check; ``message`` never contains a secret.

    ``fatal`` problems mean the states are not known at all (no configuration, the API failed,
    no answer yet); the others name one connection or mapping.
    """

    severity: Severity
    message: str
    fatal: bool = False


# --- reading the API ------------------------------------------------------------------------


def fetch_connection_states(
    client: HerokuConnectClient, app_name: str, *, budget: float | None = None
) -> list[dict[str, Any]]:
    """``[{"name", "state", "mappings": [{"object_name", "state"}]}]`` of the app's connections.

    One GET for the list and one deep GET per connection; API errors propagate. With
    ``budget`` (seconds) all the calls together take at most that long: each call's timeout is
    what is left of it.
    """
    if budget is not None:
        deadline = time.monotonic() + budget
        client.deadline = deadline if client.deadline is None else min(client.deadline, deadline)

    snapshot = []
    for connection in client.list_connections(app_name):
        detail = client.get_connection(connection["id"], deep=True)
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


def api_failure_message(error: Exception, *, timeout: float) -> str:
    """The public message for a failed API read: the public package's text, then what failed
    (the HTTP status, a timeout, ...). Never the URL, the host or the token."""
    status = getattr(error, "status_code", None)
    if isinstance(error, APIInvalidResponse | KeyError | TypeError | AttributeError):
        answered = f" HTTP {status}" if status else ""
        detail = f"the Heroku Connect API answered{answered} with an unexpected body"
    elif status is not None:
        hint = " (check the API token)" if status in (401, 403) else ""
        detail = f"the Heroku Connect API answered HTTP {status}{hint}"
    elif isinstance(error, APIUnavailableError):
        cause = error.__cause__
        if cause is None or isinstance(cause, requests.Timeout):
            detail = f"the Heroku Connect API did not answer within {timeout:g} s"
        else:
            detail = "the Heroku Connect API is unreachable"
    elif isinstance(error, APINotConfigured):
        detail = "the Heroku Connect API is not configured"
    else:
        detail = f"the Heroku Connect API call failed ({type(error).__name__})"
    return f"{UNABLE_TO_RETRIEVE}: {detail}"


@dataclass(frozen=True)
class Reading:
    """One answer of the API (``connections``) or its failure (``failure``, a public message).

    ``fetched_at`` is wall-clock time (``time.time()``) so that processes can compare it.
    """

    fetched_at: float
    connections: list[dict[str, Any]] | None = None
    failure: str | None = None

    def as_cached(self) -> dict[str, Any]:
        return {
            "fetched_at": self.fetched_at,
            "connections": self.connections,
            "failure": self.failure,
        }

    @classmethod
    def from_cached(cls, value: Any) -> Reading | None:
        """The cached form back, or None for anything else (an old or foreign entry)."""
        if not isinstance(value, dict) or not isinstance(value.get("fetched_at"), float | int):
            return None
        connections, failure = value.get("connections"), value.get("failure")
        if not (isinstance(connections, list) or isinstance(failure, str)):
            return None
        return cls(float(value["fetched_at"]), connections, failure)

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)

    def fresh(self, now: float, cache_seconds: float) -> bool:
        """Reusable without asking again: ``cache_seconds``, a failure at most 15 s."""
        limit = cache_seconds if self.failure is None else min(cache_seconds, FAILURE_CACHE_SECONDS)
        return self.age(now) < limit

    def problems(self, *, stale_age: float | None = None) -> list[HealthProblem]:
        """What is wrong, by the state table; ``stale_age`` (seconds) is added to messages of
        an answer served while a newer one is being fetched."""
        if self.failure is not None:
            problems = [HealthProblem(Severity.UNEXPECTED, self.failure, fatal=True)]
        else:
            problems = _state_problems(self.connections or [])
        if stale_age is None:
            return problems
        suffix = f" (as of {stale_age:.0f} s ago; asking the API again)"
        return [HealthProblem(p.severity, p.message + suffix, p.fatal) for p in problems]


def _state_problems(connections: list[dict[str, Any]]) -> list[HealthProblem]:
    problems = []
    for connection in connections:
        name, state = connection["name"], connection["state"]
        health = connection_health(state)
        if health is not HealthClass.HEALTHY:
            message = f"Connection state for '{name}' is '{state}'"
            if health is HealthClass.UNKNOWN:
                message += ", an unknown state"
            problems.append(HealthProblem(SEVERITY_OF_HEALTH[health], message))
        for mapping in connection["mappings"]:
            object_name, mapping_state = mapping["object_name"], mapping["state"]
            health = mapping_health(mapping_state)
            if health is HealthClass.HEALTHY:
                continue
            unknown = "unknown " if health is HealthClass.UNKNOWN else ""
            problems.append(
                HealthProblem(
                    SEVERITY_OF_HEALTH[health],
                    f"mapping {object_name} on connection {name} is in {unknown}state "
                    f"{mapping_state}",
                )
            )
    return problems


def read_connection_states(
    *, app_name: str, endpoint: str | None, token: str | None, timeout: float
) -> Reading:
    """Ask the API once (at most ``timeout`` seconds in total); never raises an API error."""
    with HerokuConnectClient(endpoint, token, timeout=timeout) as client:
        try:
            connections = fetch_connection_states(client, app_name, budget=timeout)
        except (HerokuConnectAPIError, KeyError, TypeError, AttributeError) as error:
            # The detail (never the token) goes to the log, not to the public page.
            logger.warning("Heroku Connect health: %s", error)
            failure = api_failure_message(error, timeout=timeout)
            return Reading(time.time(), failure=failure)
    return Reading(time.time(), connections=connections)


# --- sharing readings between probes ---------------------------------------------------------


def _cache_key(endpoint: str, app_name: str) -> str:
    digest = hashlib.sha256(f"{endpoint}\n{app_name}".encode()).hexdigest()[:32]
    return f"heroku_connect:health:{digest}"


@contextmanager
def _private_cache() -> Iterator[Any]:
    """A connection to Django's default cache for one check or one refresh, closed afterwards.

    Checks run in short-lived threads (django-health-check's executor, the refresh thread),
    and Django's per-thread cache would leave each thread's Redis connection open until
    garbage collection: Django's RedisCache never closes its connection pools.
    """
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches

    cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    try:
        yield cache
    finally:
        cache.close()
        client = cache.__dict__.get("_cache")  # RedisCache's client, if it was created
        for pool in getattr(client, "_pools", {}).values():
            pool.disconnect()


def _cache_call(cache: Any, method: str, *args: Any) -> Any:
    """A call on ``cache``; a broken cache is logged and treated as a miss."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # a broken cache must not fail the Heroku Connect check
        logger.warning("Heroku Connect health: the cache is unavailable", exc_info=True)
        return None


@dataclass
class _Refresh:
    """One API read in flight in this process; ``reading`` is set before ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    reading: Reading | None = None


_in_flight: dict[str, _Refresh] = {}
_in_flight_lock = threading.Lock()
#: One probe per process may wait for a first answer; the others answer "not known yet".
_first_answer_waiter = threading.Semaphore(1)


def _load(cache: Any, key: str, now: float, cache_seconds: float) -> Reading | None:
    reading = Reading.from_cached(_cache_call(cache, "get", key))
    if reading is not None and reading.age(now) > cache_seconds + STALE_GRACE_SECONDS:
        return None
    return reading


def _run_refresh(
    key: str, refresh: _Refresh, read: Callable[[], Reading], cache_seconds: float, owner: str
) -> None:
    with _private_cache() as cache:
        try:
            refresh.reading = read()
            keep = cache_seconds + STALE_GRACE_SECONDS
            _cache_call(cache, "set", key, refresh.reading.as_cached(), keep)
        except Exception:
            logger.exception("Heroku Connect health: the refresh failed")
        finally:
            with _in_flight_lock:
                _in_flight.pop(key, None)
            refresh.done.set()
            if _cache_call(cache, "get", f"{key}:refresh") == owner:
                _cache_call(cache, "delete", f"{key}:refresh")


def _start_refresh(
    cache: Any, key: str, read: Callable[[], Reading], *, cache_seconds: float, timeout: float
) -> _Refresh | None:
    """The refresh in flight in this process, a new one, or None if another process holds it."""
    with _in_flight_lock:
        if key in _in_flight:
            return _in_flight[key]
        refresh = _in_flight[key] = _Refresh()
    owner = uuid.uuid4().hex
    # cache.add is atomic (SET NX on Redis); a broken cache (None) cannot coordinate processes.
    added = _cache_call(cache, "add", f"{key}:refresh", owner, timeout + _LOCK_MARGIN_SECONDS)
    if added is False:
        with _in_flight_lock:
            _in_flight.pop(key, None)
        refresh.done.set()
        return None
    thread = threading.Thread(
        target=_run_refresh,
        args=(key, refresh, read, cache_seconds, owner),
        name="heroku-connect-health",
        daemon=True,
    )
    thread.start()
    return refresh


def _wait_for_first_reading(
    cache: Any, key: str, refresh: _Refresh | None, *, cache_seconds: float, timeout: float
) -> Reading | None:
    """A reading within the read's ``timeout``, waited for by one probe per process at most."""
    if not _first_answer_waiter.acquire(blocking=False):
        return None
    try:
        deadline = time.monotonic() + timeout + _FIRST_ANSWER_MARGIN_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            if refresh is not None:
                refresh.done.wait(left)
                return refresh.reading
            # Another process is asking: its answer arrives through the cache.
            time.sleep(min(0.1, left))
            reading = _load(cache, key, time.time(), cache_seconds)
            if reading is not None:
                return reading
        return None
    finally:
        _first_answer_waiter.release()


def _shared_problems(
    key: str, read: Callable[[], Reading], *, cache_seconds: float, timeout: float
) -> list[HealthProblem]:
    with _private_cache() as cache:
        now = time.time()
        reading = _load(cache, key, now, cache_seconds)
        if reading is not None and reading.fresh(now, cache_seconds):
            return reading.problems()
        refresh = _start_refresh(cache, key, read, cache_seconds=cache_seconds, timeout=timeout)
        if reading is not None:
            return reading.problems(stale_age=reading.age(now))
        reading = _wait_for_first_reading(
            cache, key, refresh, cache_seconds=cache_seconds, timeout=timeout
        )
    if reading is None:
        return [HealthProblem(Severity.WARNING, NOT_KNOWN_YET, fatal=True)]
    return reading.problems()


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
    ``HEROKU_CONNECT_HEALTH_CACHE_SECONDS``. States are classified by the state table
    (:data:`SEVERITY_OF_HEALTH`); an API failure is one ``UNEXPECTED`` problem naming what
    failed. Returns within about ``timeout`` seconds.
    """
    if app_name is None:
        app_name = getattr(settings, "HEROKU_CONNECT_APP_NAME", "")
    if token is None:
        token = getattr(settings, "HEROKU_AUTH_TOKEN", "")
    if not (app_name and token):
        return [HealthProblem(Severity.UNAVAILABLE, MISSING_CONFIGURATION, fatal=True)]
    if endpoint is None:
        endpoint = getattr(settings, "HEROKU_CONNECT_API_ENDPOINT", "") or ""
    if cache_seconds is None:
        cache_seconds = float(getattr(settings, "HEROKU_CONNECT_HEALTH_CACHE_SECONDS", 0) or 0)

    def read() -> Reading:
        return read_connection_states(
            app_name=app_name, endpoint=endpoint, token=token, timeout=timeout
        )

    if cache_seconds <= 0:
        return read().problems()
    return _shared_problems(
        _cache_key(endpoint, app_name), read, cache_seconds=cache_seconds, timeout=timeout
    )
