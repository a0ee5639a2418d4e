"""The Heroku Connect REST API (v3) client.

:class:`HerokuConnectClient` wraps one ``requests.Session``: every call sends the bearer token,
uses a timeout, joins URLs onto the endpoint like ``os.path.join`` and turns every failure into
one exception hierarchy rooted at :class:`HerokuConnectAPIError`, whose message is one clear
line that never contains the token.

The module-level functions keep the public django-heroku-connect 6.0 behaviour (they are
re-exported from :mod:`heroku_connect.utils`): HTTP errors are ``requests.HTTPError`` and a body
that is not the JSON expected is a ``ValueError``.

Transient failures of idempotent requests (GET, HEAD) are retried: connection errors (never a
read timeout: the server got the request and is slow), and the statuses 429, 502, 503 and 504,
with exponential backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP date).
Requests that are not idempotent (POST, PATCH, DELETE) are sent once: a lost answer does not
mean the API did not act. Every call stays within the caller's time budget (``deadline``): a
call's timeout is the smaller of the per-call timeout and the time left, and no retry starts
that could not finish in time. The settings are listed in :mod:`heroku_connect.conf`.

Never call the API while holding database row locks: a slow API would hold the locks with it.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests

from heroku_connect.conf import settings
from heroku_connect.states import (
    HEROKU_REQUEST_TIMEOUT,
    WriteAlgorithm,
    write_algorithm_from_connection_info,
)

__all__ = (
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "APIBudgetExhausted",
    "APIHTTPError",
    "APIInvalidResponse",
    "APINotConfigured",
    "APIUnavailableError",
    "APITimeoutError",
    "HerokuConnectAPIError",
    "HerokuConnectClient",
    "get_all_connections_write_modes",
    "get_connection",
    "get_connection_write_mode",
    "get_connections",
    "get_unique_connection_write_mode",
    "import_mapping",
    "link_connection_to_account",
)

_MAX_MESSAGE = 300
logger = logging.getLogger(__name__)

#: Methods safe to send again when the answer was lost or transient.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Statuses that say "try again later": rate limited, or a gateway/overload in front of the API.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
#: A retry is not started with less time than this left in the budget (it could not finish).
_MIN_CALL_SECONDS = 0.25


# --- Exceptions -----------------------------------------------------------------------------


class HerokuConnectAPIError(requests.RequestException):
    """Any failure talking to the API.

    ``str(exc)`` is a clear one-line message that never contains the token. ``status_code`` is
    the HTTP status, or ``None`` when the API was unreachable, timed out or is not configured.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response: requests.Response | None = None,
        request: requests.PreparedRequest | None = None,
    ) -> None:
        super().__init__(message, response=response, request=request)
        self.message = message
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (e.g. Celery results) without the response object.
        return (type(self), (self.message,), {"status_code": self.status_code})


class APIHTTPError(HerokuConnectAPIError, requests.HTTPError):
    """The API answered 4xx or 5xx; the message quotes the body's ``message`` if any."""


class APIUnavailableError(HerokuConnectAPIError, requests.ConnectionError):
    """The API could not be reached or did not answer in time."""


class APITimeoutError(APIUnavailableError, requests.Timeout):
    """The API did not answer in time (also a ``requests.Timeout``, as with plain requests)."""


class APIBudgetExhausted(APITimeoutError):
    """The caller's time budget (``deadline``) ran out before the API answered."""


class APIInvalidResponse(HerokuConnectAPIError, ValueError):
    """The API answered, but not with the JSON expected."""


class APINotConfigured(HerokuConnectAPIError):
    """No token, endpoint or app name is configured."""


# --- Helpers --------------------------------------------------------------------------------


def _safe_url(url: str) -> str:
    """``url`` without user info, query or fragment (what an error message may show)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _one_line(text: str, *, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(str(text).split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    return text


def _error_detail(response: requests.Response) -> str:
    """The body's ``message`` (else ``error``), else the HTTP reason text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("message", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key]
    return response.reason or "no reason given"


def _require_json(response: requests.Response, where: str) -> None:
    try:
        response.json()
    except ValueError as exc:
        raise APIInvalidResponse(
            f"Heroku Connect API answered {response.status_code} with invalid JSON ({where}).",
            status_code=response.status_code,
            response=response,
        ) from exc


def _join(endpoint: str, *segments: str) -> str:
    """Join URL-quoted path segments onto ``endpoint`` like ``os.path.join`` (one slash)."""
    path = "/".join(quote(str(segment), safe="") for segment in segments)
    return f"{endpoint.rstrip('/')}/{path}"


def _python_bool(value: bool) -> str:
    """``True``/``False``: the capitalised text the public package sends for ``deep``."""
    return str(bool(value))


def retry_after_seconds(value: str | None, *, now: datetime.datetime | None = None) -> float | None:
    """A ``Retry-After`` value in seconds (delay-seconds or an HTTP date); None if invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


# --- The client ----------------------------------------------------------------------------


class HerokuConnectClient:
    """A client of the Heroku Connect API v3 with one ``requests.Session``.

    ``endpoint`` and ``token`` default to ``settings.HEROKU_CONNECT_API_ENDPOINT`` and
    ``settings.HEROKU_AUTH_TOKEN``, read at call time. Use it as a context manager (or call
    :meth:`close`) to release the session's connections. Without a token or an app name it
    refuses to send anything (:class:`APINotConfigured`); ``require_configuration=False`` sends
    the request anyway, as the public package's functions do.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        timeout: float | None = None,
        session: requests.Session | None = None,
        require_configuration: bool = True,
        deadline: float | None = None,
        retries: int | None = None,
    ) -> None:
        self._require_configuration = require_configuration
        self._endpoint = endpoint
        self._token = token
        self._timeout = timeout
        #: ``time.monotonic()`` by which every call, retries included, must have ended.
        self.deadline = deadline
        self._retries = retries
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} endpoint={_safe_url(self.endpoint)!r}>"

    def __enter__(self) -> HerokuConnectClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session (only if the client created it)."""
        if self._owns_session:
            self.session.close()

    # -- configuration, read at call time

    @property
    def timeout(self) -> float:
        """Seconds per HTTP call: the ``timeout`` given, else ``HEROKU_CONNECT_API_TIMEOUT``."""
        if self._timeout is not None:
            return self._timeout
        return float(getattr(settings, "HEROKU_CONNECT_API_TIMEOUT", HEROKU_REQUEST_TIMEOUT))

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = value

    @property
    def retries(self) -> int:
        """Retries of an idempotent request: ``retries`` given, else the setting (default 2)."""
        if self._retries is not None:
            return self._retries
        return int(getattr(settings, "HEROKU_CONNECT_API_RETRIES", 2))

    def remaining(self) -> float | None:
        """Seconds left before the ``deadline`` (never negative); None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    @property
    def endpoint(self) -> str:
        if self._endpoint is not None:
            return self._endpoint
        return getattr(settings, "HEROKU_CONNECT_API_ENDPOINT", "") or ""

    @property
    def token(self) -> str:
        if self._token is not None:
            return self._token
        return getattr(settings, "HEROKU_AUTH_TOKEN", "") or ""

    def authorization_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}``."""
        return {"Authorization": f"Bearer {self.token}"}

    # -- the HTTP core

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        expect_json: bool = True,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send a request; raise a :class:`HerokuConnectAPIError` subclass on any failure.

        ``idempotent`` (default: GET, HEAD and OPTIONS are) allows retries of transient failures
        (see the module docstring), within :attr:`deadline`.
        """
        token = self.token
        if not token and self._require_configuration:
            raise APINotConfigured(
                "Heroku Connect API is not configured: HEROKU_AUTH_TOKEN is empty."
            )
        if not url.startswith(("http://", "https://")):
            raise APINotConfigured(
                "Heroku Connect API is not configured: HEROKU_CONNECT_API_ENDPOINT must be an "
                "http(s) URL."
            )
        where = f"{method} {_safe_url(url)}"
        headers = {**self.authorization_headers(), "Accept": "application/json"}
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        attempts = 1 + (max(0, self.retries) if idempotent else 0)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            timeout, budget_bound = self._call_timeout(where)
            try:
                response = self.session.request(
                    method, url, params=params, json=json, headers=headers, timeout=timeout
                )
            except requests.ConnectTimeout as exc:
                if not last and self._pause_before_retry(attempt, where, "connect timeout"):
                    continue
                raise APITimeoutError(f"Heroku Connect API is unreachable ({where}).") from exc
            except requests.Timeout as exc:
                if budget_bound:
                    raise APIBudgetExhausted(
                        f"Heroku Connect API did not answer within the {timeout:.1f} s left of "
                        f"this request's time budget ({where})."
                    ) from exc
                raise APITimeoutError(
                    f"Heroku Connect API did not answer within {timeout:g} s ({where})."
                ) from exc
            except requests.ConnectionError as exc:
                if not last and self._pause_before_retry(attempt, where, "connection error"):
                    continue
                raise APIUnavailableError(f"Heroku Connect API is unreachable ({where}).") from exc
            except requests.RequestException as exc:
                detail = _one_line(type(exc).__name__, secrets=(token,))
                raise HerokuConnectAPIError(
                    f"Heroku Connect API request failed ({where}): {detail}."
                ) from exc
            if (
                response.status_code in RETRYABLE_STATUSES
                and not last
                and self._pause_before_retry(
                    attempt,
                    where,
                    f"status {response.status_code}",
                    retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                )
            ):
                response.close()
                continue
            break
        if response.status_code >= 400:
            detail = _one_line(_error_detail(response), secrets=(token,))
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise APIHTTPError(
                f"Heroku Connect API answered {response.status_code}{tries} ({where}): {detail}",
                status_code=response.status_code,
                response=response,
            )
        if expect_json:
            _require_json(response, where)
        return response

    def _call_timeout(self, where: str) -> tuple[float, bool]:
        """This call's timeout and whether the budget (not the per-call timeout) set it."""
        remaining = self.remaining()
        if remaining is None or remaining >= self.timeout:
            return self.timeout, False
        if remaining <= 0:
            raise APIBudgetExhausted(
                f"Heroku Connect API not called: this request's time budget is used up ({where})."
            )
        return remaining, True

    def _pause_before_retry(
        self, attempt: int, where: str, reason: str, *, retry_after: float | None = None
    ) -> bool:
        """Sleep before retry number ``attempt``; False when no retry fits (then give up).

        The wait is exponential with full jitter (``HEROKU_CONNECT_API_RETRY_BACKOFF`` doubled
        per attempt), at least the API's ``Retry-After``; a ``Retry-After`` longer than
        ``HEROKU_CONNECT_API_RETRY_MAX_WAIT``, or a wait that would leave too little of the
        budget for the next call, is not waited for.
        """
        base = float(getattr(settings, "HEROKU_CONNECT_API_RETRY_BACKOFF", 0.5))
        max_wait = float(getattr(settings, "HEROKU_CONNECT_API_RETRY_MAX_WAIT", 10))
        if retry_after is not None and retry_after > max_wait:
            logger.warning(
                "Heroku Connect API: %s (%s), Retry-After %.0f s is too long; not retrying",
                reason,
                where,
                retry_after,
            )
            return False
        wait = random.uniform(0, min(max_wait, base * 2 ** (attempt - 1)))
        if retry_after is not None:
            wait = max(wait, retry_after)
        remaining = self.remaining()
        if remaining is not None and wait + _MIN_CALL_SECONDS > remaining:
            logger.warning(
                "Heroku Connect API: %s (%s); no time left in the budget for a retry", reason, where
            )
            return False
        logger.warning(
            "Heroku Connect API: %s (%s); retry %d of %d in %.2f s",
            reason,
            where,
            attempt,
            self.retries,
            wait,
        )
        time.sleep(wait)
        return True

    def _get_dict(self, url: str, *, params: Mapping[str, Any] | None = None) -> dict:
        response = self.request("GET", url, params=params)
        return self._as_dict(response, url)

    def _as_dict(self, response: requests.Response, url: str) -> dict:
        body = response.json()
        if not isinstance(body, dict):
            raise APIInvalidResponse(
                f"Heroku Connect API answered {response.status_code} with "
                f"{type(body).__name__} instead of an object ({response.request.method} "
                f"{_safe_url(url)}).",
                status_code=response.status_code,
                response=response,
            )
        return body

    def _get_results(self, url: str, *, params: Mapping[str, Any] | None = None) -> list[dict]:
        body = self._get_dict(url, params=params)
        results = body.get("results")
        if not isinstance(results, list):
            raise APIInvalidResponse(
                f"Heroku Connect API answered without a 'results' list (GET {_safe_url(url)}).",
                status_code=200,
            )
        return results

    def _url(self, *segments: str) -> str:
        endpoint = self.endpoint
        if not endpoint:
            raise APINotConfigured(
                "Heroku Connect API is not configured: HEROKU_CONNECT_API_ENDPOINT is empty."
            )
        return _join(endpoint, *segments)

    # -- connections

    def list_connections(self, app_name: str, *, deep: bool = False) -> list[dict]:
        """The connections of the Heroku app ``app_name`` (with their mappings if ``deep``)."""
        if not app_name and self._require_configuration:
            raise APINotConfigured(
                "Heroku Connect API is not configured: no app name (HEROKU_CONNECT_APP_NAME)."
            )
        params = {"app": app_name}
        if deep:
            params["deep"] = "true"
        return self._get_results(self._url("connections"), params=params)

    def get_connection(self, connection_id: str, *, deep: bool = False) -> dict:
        """One connection; ``deep`` adds its ``mappings``. Sends ``deep=True``/``deep=False``."""
        return self._get_dict(
            self._url("connections", connection_id), params={"deep": _python_bool(deep)}
        )

    def patch_connection(self, connection_id: str, **fields: Any) -> dict:
        """Change connection fields such as ``db_key``, ``schema_name`` or ``name``."""
        url = self._url("connections", connection_id)
        return self._as_dict(self.request("PATCH", url, json=fields), url)

    def import_mapping(self, connection_id: str, document: Mapping[str, Any]) -> None:
        """Import a mapping configuration (the connection shows IMPORT_CONFIGURATION meanwhile)."""
        self.request(
            "POST",
            self._url("connections", connection_id, "actions", "import"),
            json=dict(document),
            expect_json=False,
        )

    def export_mapping(self, connection_id: str) -> dict:
        """The connection's configuration as an export document."""
        return self._get_dict(self._url("connections", connection_id, "actions", "export"))

    def _connection_action(self, connection_id: str, action: str) -> None:
        self.request(
            "POST",
            self._url("connections", connection_id, "actions", action),
            expect_json=False,
        )

    def pause_connection(self, connection_id: str) -> None:
        """Pause the connection (changes are still captured, not written)."""
        self._connection_action(connection_id, "pause")

    def resume_connection(self, connection_id: str) -> None:
        """Resume a paused connection."""
        self._connection_action(connection_id, "resume")

    def restart_connection(self, connection_id: str) -> None:
        """Restart ("recover") the connection."""
        self._connection_action(connection_id, "restart")

    # -- mappings

    def get_mapping(self, mapping_id: str) -> dict:
        """One mapping with its state, config and counts."""
        return self._get_dict(self._url("mappings", mapping_id))

    def delete_mapping(self, mapping_id: str) -> None:
        """Delete a mapping (stops its synchronisation)."""
        self.request("DELETE", self._url("mappings", mapping_id), expect_json=False)

    def reload_mapping(self, mapping_id: str) -> None:
        """Truncate and reload the mapping's table from Salesforce."""
        self.request(
            "POST", self._url("mappings", mapping_id, "actions", "reload"), expect_json=False
        )

    # -- errors and notifications

    def connection_errors(self, connection_id: str) -> list[dict]:
        """Write errors of the last 24 hours of the whole connection."""
        return self._get_results(self._url("connections", connection_id, "errors"))

    def mapping_errors(self, mapping_id: str) -> list[dict]:
        """Write errors of the last 24 hours of one mapping."""
        return self._get_results(self._url("mappings", mapping_id, "errors"))

    def notifications(self, connection_id: str, **filters: Any) -> list[dict]:
        """Unacknowledged notifications (filters: ``after``, ``before``, ``event_type``...)."""
        params = {"page_size": 1000, **filters}
        return self._get_results(
            self._url("connections", connection_id, "notifications"), params=params
        )

    def acknowledge_notifications(self, connection_id: str, **filters: Any) -> None:
        """Acknowledge the notifications matching ``filters`` (same as :meth:`notifications`)."""
        params = {"page_size": 1000, **filters}
        self.request(
            "POST",
            self._url("connections", connection_id, "notifications", "acknowledge"),
            params=params,
            expect_json=False,
        )

    # -- diagnose

    def start_diagnose(self, connection_id: str) -> str:
        """Start a diagnose run and return the URL to poll with :meth:`diagnose_result`."""
        url = self._url("connections", connection_id, "validations")
        body = self._as_dict(self.request("POST", url), url)
        result_url = body.get("result_url")
        if not isinstance(result_url, str) or not result_url:
            raise APIInvalidResponse(
                f"Heroku Connect API answered without a 'result_url' (POST {_safe_url(url)}).",
                status_code=200,
            )
        return result_url

    def diagnose_result(self, result_url: str) -> dict | None:
        """The diagnose result: ``None`` while it runs (202), the result dict when done (200).

        ``result_url`` may be relative to the endpoint; an absolute URL must be on the
        endpoint's host, so the token is never sent elsewhere.
        """
        endpoint = self.endpoint
        url = urljoin(endpoint.rstrip("/") + "/", result_url)
        if urlsplit(url)[:2] != urlsplit(endpoint)[:2]:
            raise APIInvalidResponse(
                "Heroku Connect API returned a diagnose result URL on another host."
            )
        response = self.request("GET", url, expect_json=False)
        if response.status_code == 202:
            return None
        _require_json(response, f"GET {_safe_url(url)}")
        return self._as_dict(response, url)

    # -- account

    def link_connection_to_account(self, app_name: str) -> None:
        """Add the token's user to the access list of ``app_name``'s connections."""
        self.request("POST", self._url("users", "me", "apps", app_name, "auth"), expect_json=False)


# --- The public package's module-level functions ---------------------------------------------
#
# Like the public package's, they send the request even with an empty token or app name (a
# project's tests may answer it with an HTTP mock); the real API then answers 401 (HTTPError).


def _compat_client() -> HerokuConnectClient:
    return HerokuConnectClient(require_configuration=False)


def _get_authorization_headers() -> dict[str, str]:
    """``{"Authorization": "Bearer <HEROKU_AUTH_TOKEN>"}``."""
    return {"Authorization": f"Bearer {getattr(settings, 'HEROKU_AUTH_TOKEN', '')}"}


def get_connections(app: str) -> list[dict]:
    """GET ``{endpoint}/connections?app=<app>``: the app's connections (``results``)."""
    with _compat_client() as client:
        return client.list_connections(app)


def get_connection(connection_id: str, deep: bool = False) -> dict:
    """GET ``{endpoint}/connections/{id}?deep=True|False``: the connection object."""
    with _compat_client() as client:
        return client.get_connection(connection_id, deep=deep)


def import_mapping(connection_id: str, mapping: Mapping[str, Any]) -> None:
    """POST the mapping document to ``{endpoint}/connections/{id}/actions/import``."""
    with _compat_client() as client:
        client.import_mapping(connection_id, mapping)


def link_connection_to_account(app: str) -> None:
    """POST ``{endpoint}/users/me/apps/{app}/auth``: link the token's user to the app."""
    with _compat_client() as client:
        client.link_connection_to_account(app)


def get_all_connections_write_modes(app: str) -> dict[str, WriteAlgorithm]:
    """``{connection id: WriteAlgorithm}`` for every connection of ``app``."""
    return {
        connection["id"]: write_algorithm_from_connection_info(connection)
        for connection in get_connections(app)
    }


def get_connection_write_mode(connection_id: str) -> WriteAlgorithm:
    """The WriteAlgorithm of one connection (non-deep GET)."""
    return write_algorithm_from_connection_info(get_connection(connection_id))


class _TTLCache:
    """A bounded cache whose entries expire after ``ttl()`` seconds (read at call time).

    Failures are not cached. ``cache_clear()`` empties it (the public package's
    ``functools.lru_cache`` API).
    """

    def __init__(self, function: Callable[[str], Any], ttl: Callable[[], float], maxsize: int):
        self.__wrapped__ = function
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__doc__ = function.__doc__
        self.__module__ = function.__module__
        self._ttl = ttl
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, app_name: str | None = None) -> WriteAlgorithm:
        if app_name is None:
            app_name = getattr(settings, "HEROKU_CONNECT_APP_NAME", "")
        ttl = self._ttl()
        key = (getattr(settings, "HEROKU_CONNECT_API_ENDPOINT", ""), app_name)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
        value = self.__wrapped__(app_name)
        if ttl > 0:
            with self._lock:
                self._entries[key] = (time.monotonic() + ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._maxsize:
                    self._entries.popitem(last=False)
        return value

    def cache_clear(self) -> None:
        """Forget every cached result."""
        with self._lock:
            self._entries.clear()


def _write_mode_ttl() -> float:
    return float(getattr(settings, "HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS", 300))


def _unique_connection_write_mode(app_name: str) -> WriteAlgorithm:
    """The one write algorithm of the app's connections, cached for a bounded time.

    ``app_name`` defaults to ``settings.HEROKU_CONNECT_APP_NAME``. The result is cached for
    ``HEROKU_CONNECT_WRITE_MODE_CACHE_SECONDS`` (default 300; 0 disables the cache) per endpoint
    and app; ``get_unique_connection_write_mode.cache_clear()`` forgets it. No connection, or
    connections with different algorithms, raise ``ValueError``; API failures are not cached.
    """
    modes = set(get_all_connections_write_modes(app_name).values())
    if not modes:
        raise ValueError(
            f"No Heroku Connect connection found for the app {app_name!r}: "
            "cannot tell its write algorithm."
        )
    if len(modes) > 1:
        raise ValueError(
            f"The Heroku Connect connections of the app {app_name!r} use different write "
            "algorithms (merged and ordered writes)."
        )
    (mode,) = modes
    return mode


#: ``get_unique_connection_write_mode(app_name=None) -> WriteAlgorithm`` with ``cache_clear()``.
get_unique_connection_write_mode = _TTLCache(
    _unique_connection_write_mode, _write_mode_ttl, maxsize=32
)
