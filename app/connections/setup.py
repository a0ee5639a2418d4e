"""What a "Deploy to Heroku" button leaves for the operator to set, shown on every dashboard page.

The button cannot fill in two things the dashboard needs to watch anything:

- the app's own name: ``HEROKU_CONNECT_APP_NAME`` falls back to ``HEROKU_APP_NAME``, which
  Heroku sets only when the ``runtime-dyno-metadata`` lab is enabled (a button deploy does not
  enable it, and app.json cannot);
- a Heroku API token (``HEROKU_CONNECT_API_TOKEN``), which only the operator can create.

Without them the status refresh fails every minute and the pages stay empty, so every
dashboard page carries a banner with the exact command to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

#: Heroku's default domain: ``<app>.herokuapp.com``, or ``<app>-<12 hex digits>.herokuapp.com``
#: for apps created since 2023.
_HEROKU_DOMAIN = re.compile(r"^(?P<app>[a-z][a-z0-9-]*?)(?:-[0-9a-f]{12})?\.herokuapp\.com$")
#: Shown in the commands when the page's host does not name the app (a custom domain).
APP_PLACEHOLDER = "YOUR-APP"


@dataclass(frozen=True)
class SetupProblem:
    """One missing setting: what is wrong, and the command(s) that fix it."""

    title: str
    detail: str
    commands: tuple[str, ...]


def app_name_from_host(host: str) -> str | None:
    """The Heroku app name in a default ``herokuapp.com`` host name, if it is one."""
    match = _HEROKU_DOMAIN.match(host.split(":", 1)[0].lower())
    return match.group("app") if match else None


def setup_problems(*, host: str) -> list[SetupProblem]:
    """The settings a button deploy leaves unset, with commands naming the app of ``host``."""
    app = app_name_from_host(host) or APP_PLACEHOLDER
    problems = []
    if not settings.HEROKU_CONNECT_APP_NAME:
        problems.append(
            SetupProblem(
                title="Heroku Connect app name unknown: nothing is being watched.",
                detail=(
                    "HEROKU_CONNECT_APP_NAME is not set, and Heroku tells an app its own name "
                    "(HEROKU_APP_NAME) only with the runtime-dyno-metadata lab. Set it:"
                ),
                commands=(
                    f"heroku config:set HEROKU_CONNECT_APP_NAME={app} -a {app}",
                    f"heroku labs:enable runtime-dyno-metadata -a {app}  # takes effect on the "
                    "next deploy",
                ),
            )
        )
    if not settings.HEROKU_AUTH_TOKEN:
        problems.append(
            SetupProblem(
                title="No Heroku API token: the Heroku Connect API cannot be read.",
                detail="Create a token and set it:",
                commands=(
                    "heroku config:set HEROKU_CONNECT_API_TOKEN=$(heroku authorizations:create "
                    f"--short --description 'Heroku Connect Operator') -a {app}",
                ),
            )
        )
    return problems


def setup_banner(request) -> dict:
    """Context processor: ``setup_problems`` for logged-in users (the dashboard's base shows
    them), nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"setup_problems": setup_problems(host=request.get_host())}
