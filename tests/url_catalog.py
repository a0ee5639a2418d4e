"""The URL catalogue of the project, shared by the URL security tests and the fuzzer.

Every URL pattern is discovered from the resolver (:data:`DISCOVERED`); :data:`ROUTES` classifies
each one (its kind, the permission it needs, sample kwargs and query), so a URL added later
fails ``tests/app/test_url_security.py::test_routes__every_url_is_classified`` until it gets an
entry here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission, User
from django.db.models import Count
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from app.audit.models import AuditEntry, AutoRetryPolicy
from app.connections.models import ImportJob
from app.dashboard.models import BulkActionJob, StatsRun
from heroku_connect.models import TriggerLog, TriggerLogArchive

CONNECTION_ID = "5b7e3b52-0000-4000-8000-000000000001"
MAPPING_ID = "5b7e3b52-0000-4000-8000-0000000000aa"

#: GET only, changes nothing: POST is 405.
READ = "read"
#: JSON for scripts: anonymous gets 401 JSON (no login redirect), GET only.
API = "api"
#: Changes state, POST only: GET is 405, POST needs the CSRF token.
POST = "post"
#: GET renders a confirmation (or a form), POST acts (or re-renders): POST needs the CSRF token.
CONFIRM = "confirm"

VIEW = "dashboard.view_dashboard"
RETRY = "dashboard.retry_writes"
IGNORE = "dashboard.ignore_writes"
MANAGE = "dashboard.manage_mappings"
AUDIT = "audit.view_auditentry"
LOCKOUTS = "axes.view_accessattempt"
LIFT_LOCKOUT = "axes.delete_accessattempt"
ALL_PERMISSIONS = (VIEW, RETRY, IGNORE, MANAGE, AUDIT, LOCKOUTS, LIFT_LOCKOUT)


@dataclass(frozen=True)
class Route:
    kind: str
    permission: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: The permission a POST needs when it differs from the page's (the auto-retry policy).
    post_permission: str | None = None
    #: A sample query string for GET (pages that need one to show something, e.g. a selection).
    query: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    "dashboard:overview": Route(READ, VIEW),
    "dashboard:groups": Route(READ, VIEW),
    "dashboard:refresh_stats": Route(POST, VIEW),
    "dashboard:failures": Route(READ, VIEW),
    "dashboard:detail": Route(READ, VIEW, {"source": "live", "pk": 1}),
    "dashboard:api_overview": Route(API, VIEW),
    "dashboard:api_error_groups": Route(API, VIEW),
    "dashboard:retry_confirm": Route(CONFIRM, RETRY, query={"source": "both"}),
    "dashboard:ignore_confirm": Route(CONFIRM, IGNORE, query={"source": "both"}),
    "dashboard:retry": Route(POST, RETRY),
    "dashboard:ignore": Route(POST, IGNORE),
    "dashboard:autoretry": Route(CONFIRM, VIEW, post_permission=RETRY),
    "dashboard:bulk_job": Route(READ, VIEW, {"pk": 1}),
    # (the job's own action permission is checked too: tests/app/dashboard/test_bulk.py)
    "dashboard:bulk_job_cancel": Route(POST, VIEW, {"pk": 1}),
    "audit:list": Route(READ, AUDIT),
    "audit:export": Route(READ, AUDIT),
    "accounts:lockouts": Route(READ, LOCKOUTS),
    "accounts:lift": Route(POST, LIFT_LOCKOUT),
    "connections:status": Route(READ, VIEW),
    "connections:status_json": Route(READ, VIEW),
    "connections:refresh": Route(POST, VIEW),
    "connections:diff": Route(READ, VIEW),
    "connections:download": Route(READ, VIEW),
    "connections:import_job": Route(READ, VIEW, {"pk": 1}),
    "connections:connection": Route(READ, VIEW, {"connection_id": CONNECTION_ID}),
    "connections:fetch": Route(POST, VIEW, {"connection_id": CONNECTION_ID}),
    "connections:import": Route(CONFIRM, MANAGE, {"connection_id": CONNECTION_ID}),
    "connections:mapping_action": Route(
        CONFIRM,
        MANAGE,
        {"connection_id": CONNECTION_ID, "mapping_id": MAPPING_ID, "action": "reload"},
    ),
    "connections:action": Route(
        CONFIRM, MANAGE, {"connection_id": CONNECTION_ID, "action": "pause"}
    ),
}

#: Patterns not checked here, with the reason.
EXEMPT = {
    "login": "public: the login form (tested below: local redirects only)",
    "logout": "public: POST only (tested below)",
    "health": "public for the router and monitors; no data (test_health, test_secrets)",
    "health-live": "public liveness probe; touches nothing",
}
EXEMPT_NAMESPACES = {"admin": "Django's admin: its own staff login and model permissions"}


def iter_patterns(
    resolver: URLResolver, namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str, str]]:
    """(qualified name, route) of every pattern below ``resolver``; unnamed ones as ``?route``."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            if entry.namespace in EXEMPT_NAMESPACES:
                continue
            yield from iter_patterns(entry, inner, route)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                yield f"?{route}", route
            else:
                yield ":".join(filter(None, [namespace, entry.name])), route


DISCOVERED = sorted({name for name, _route in iter_patterns(get_resolver())} - set(EXEMPT))


def url_for(name: str) -> str:
    """The sample URL of a classified pattern (with its sample query, if any)."""
    route = ROUTES.get(name)
    if route is None:
        pytest.fail(f"URL {name!r} is not classified in ROUTES (kind, permission, sample kwargs).")
    url = reverse(name, kwargs=route.kwargs)
    return f"{url}?{urlencode(route.query)}" if route.query else url


def make_user(username: str, permissions: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, password="pw-" + username)
    for perm in permissions:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def _policy() -> tuple[Any, ...]:
    """The auto-retry policy's settings (the row itself is created by the first look at it)."""
    policy = AutoRetryPolicy.current()
    return (
        policy.enabled,
        policy.codes,
        policy.max_attempts,
        policy.backoff_minutes,
        policy.max_age_hours,
    )


def state_counts(*, statistics: bool = True) -> dict[str, Any]:
    """What a state-changing request would change: our own tables (audit entries, imports,
    bulk jobs, the auto-retry policy, statistics runs unless ``statistics=False``: a page's
    first visit may build them) and the states of both trigger-log tables."""
    counts: dict[str, Any] = {
        "audit entries": AuditEntry.objects.count(),
        "import jobs": ImportJob.objects.count(),
        "bulk jobs": sorted(
            BulkActionJob.objects.values_list("pk", "state", "cancel_requested_at")
        ),
        "auto-retry policy": _policy(),
        "trigger log": sorted(
            TriggerLog.objects.order_by().values_list("state").annotate(n=Count("pk"))
        ),
        "trigger log archive": sorted(
            TriggerLogArchive.objects.order_by().values_list("state").annotate(n=Count("pk"))
        ),
    }
    if statistics:
        counts["statistics runs"] = StatsRun.objects.count()
    return counts
