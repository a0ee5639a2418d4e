"""The Heroku Connect health check for django-health-check 3.21+ and 4.x.

* 4.x: a dataclass check for ``HealthCheckView.as_view(checks=[...])``; ``run()`` raises
  ``ServiceUnavailable``, ``ServiceReturnedUnexpectedResult`` or ``ServiceWarning``.
* 3.x: registered by adding ``heroku_connect.contrib.heroku_connect_health_check`` to
  ``INSTALLED_APPS``; ``check_status()`` collects the problems in ``errors``.

Both share :func:`heroku_connect.health.connect_health`: states classified by the state table of
:mod:`heroku_connect.states` (unhealthy and setup-needed states unavailable; paused, in-progress
and unknown states warnings), a bounded timeout, and API answers shared for
``HEROKU_CONNECT_HEALTH_CACHE_SECONDS`` if set (off by default: each check asks the API).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from heroku_connect.health import (
    DEFAULT_HEALTH_TIMEOUT,
    HealthProblem,
    Severity,
    connect_health,
)

#: The public package's module logger (kept for code that configures or patches it).
logger = logging.getLogger("health-check")

try:
    from health_check.exceptions import (
        HealthCheckException,
        ServiceReturnedUnexpectedResult,
        ServiceUnavailable,
        ServiceWarning,
    )
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "The Heroku Connect health check needs django-health-check (3.21+ or 4.x): "
        "pip install django-health-check; see the 'Health check' section of the "
        "heroku_connect README."
    ) from error

try:
    from health_check.base import HealthCheck as _HealthCheck4  # 4.x
except ImportError:
    _HealthCheck4 = None

__all__ = ("HerokuConnectHealthCheck",)

_EXCEPTIONS: dict[Severity, type[HealthCheckException]] = {
    Severity.UNAVAILABLE: ServiceUnavailable,
    Severity.UNEXPECTED: ServiceReturnedUnexpectedResult,
    Severity.WARNING: ServiceWarning,
}


def _as_exception(problems: list[HealthProblem]) -> HealthCheckException:
    """One exception for all problems: the worst severity, every message."""
    for severity in (Severity.UNAVAILABLE, Severity.UNEXPECTED, Severity.WARNING):
        if any(problem.severity is severity for problem in problems):
            break
    return _EXCEPTIONS[severity]("; ".join(problem.message for problem in problems))


if _HealthCheck4 is not None:

    @dataclasses.dataclass
    class HerokuConnectHealthCheck(_HealthCheck4):
        """Heroku Connect connections and mappings are in healthy states.

        Every argument defaults to the library settings; the token never appears in the repr.
        """

        app_name: str | None = None
        endpoint: str | None = dataclasses.field(default=None, repr=False)
        token: str | None = dataclasses.field(default=None, repr=False)
        timeout: datetime.timedelta = dataclasses.field(
            default=datetime.timedelta(seconds=DEFAULT_HEALTH_TIMEOUT), repr=False
        )
        cache_seconds: float | None = dataclasses.field(default=None, repr=False)

        def __repr__(self) -> str:
            from heroku_connect.conf import settings

            app_name = self.app_name or getattr(settings, "HEROKU_CONNECT_APP_NAME", "")
            return f"Heroku Connect(app_name={app_name!r})"

        def problems(self) -> list[HealthProblem]:
            return connect_health(
                app_name=self.app_name,
                endpoint=self.endpoint,
                token=self.token,
                timeout=self.timeout.total_seconds(),
                cache_seconds=self.cache_seconds,
            )

        def run(self) -> None:
            problems = self.problems()
            if problems:
                raise _as_exception(problems)

else:
    from health_check.backends import HealthCheck as _HealthCheck3

    @dataclasses.dataclass(repr=False)
    class HerokuConnectHealthCheck(_HealthCheck3):
        """Heroku Connect connections and mappings are in healthy states (3.x plugin)."""

        def __repr__(self) -> str:
            return "Heroku Connect"

        def problems(self) -> list[HealthProblem]:
            return connect_health(timeout=DEFAULT_HEALTH_TIMEOUT)

        def check_status(self) -> None:
            for problem in self.problems():
                error = _EXCEPTIONS[problem.severity](problem.message)
                if problem.fatal:  # no state is known: end the check at once
                    raise error
                self.add_error(error)
