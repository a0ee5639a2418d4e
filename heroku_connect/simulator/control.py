"""Client of the simulator's control endpoints (``/__simulator__/...``), used by the
``control`` CLI subcommand, demos and tests. No token is needed: the control API exists only
on the simulator.
"""

from __future__ import annotations

from typing import Any

import requests

__all__ = ("ControlClient", "ControlError")


class ControlError(Exception):
    """The simulator could not be reached or refused the change (one-line message)."""


class ControlClient:
    """``ControlClient("http://127.0.0.1:8100").set_connection_state("PAUSED")``.

    ``url`` is the simulator's base URL; a trailing ``/api/v3`` is accepted and ignored.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        url = url.rstrip("/")
        self.url = url.removesuffix("/api/v3")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = requests.request(
                method, f"{self.url}/__simulator__/{path}", json=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ControlError(
                f"cannot reach the simulator at {self.url}: {type(exc).__name__}"
            ) from None
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            raise ControlError(f"{response.status_code}: {message or response.reason}")
        return data

    def status(self) -> dict[str, Any]:
        return self._call("GET", "status")

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """``latency`` (s), ``status`` (4xx/5xx), ``retry_after`` (with ``status``),
        ``timeout``, ``timeout_seconds``, ``drop``, ``unauthorized``, ``invalid_json``, and
        ``times`` (only the next N API requests)."""
        return self._call("POST", "faults", faults)

    def clear_faults(self) -> dict[str, Any]:
        return self._call("DELETE", "faults")

    def request_counts(self) -> dict[str, int]:
        """API requests received per ``"METHOD /path"`` since the start or the last reset."""
        return self._call("GET", "requests")

    def reset_request_counts(self) -> None:
        self._call("DELETE", "requests")

    def set_connection_state(self, state: str) -> dict[str, Any]:
        return self._call("POST", "connection-state", {"state": state})

    def set_mapping_state(self, object_name: str, state: str) -> dict[str, Any]:
        return self._call("POST", "mapping-state", {"object_name": object_name, "state": state})

    def set_write_algorithm(self, algorithm: str) -> dict[str, Any]:
        return self._call("POST", "write-algorithm", {"algorithm": algorithm})

    def notify(self, message: str, event_type: str = "mapping-error") -> dict[str, Any]:
        return self._call("POST", "notifications", {"message": message, "event_type": event_type})
