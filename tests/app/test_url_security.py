"""Every URL of the project: login, permission, allowed methods and CSRF.

The URL patterns are discovered from the resolver, so a URL added later is covered
automatically: it fails ``test_routes__every_url_is_classified`` until it gets an entry in
``ROUTES`` (its kind, the permission it needs and sample kwargs to reverse it).

Exempt (documented in ``EXEMPT``): the Django admin (its own login and permissions, tested
by Django), login/logout (public by design, tested below) and the health endpoints (public
for Heroku's router and monitors; they reveal no data, see ``tests/app/test_health.py`` and
``tests/app/test_secrets.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from app.audit.models import AuditEntry
from app.connections.models import ImportJob
from app.dashboard.models import StatsRun

pytestmark = pytest.mark.django_db

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
ALL_PERMISSIONS = (VIEW, RETRY, IGNORE, MANAGE, AUDIT)


@dataclass(frozen=True)
class Route:
    kind: str
    permission: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: The permission a POST needs when it differs from the page's (the auto-retry policy).
    post_permission: str | None = None


ROUTES: dict[str, Route] = {
    "dashboard:overview": Route(READ, VIEW),
    "dashboard:groups": Route(READ, VIEW),
    "dashboard:refresh_stats": Route(POST, VIEW),
    "dashboard:failures": Route(READ, VIEW),
    "dashboard:detail": Route(READ, VIEW, {"source": "live", "pk": 1}),
    "dashboard:api_overview": Route(API, VIEW),
    "dashboard:api_error_groups": Route(API, VIEW),
    "dashboard:retry_confirm": Route(CONFIRM, RETRY),
    "dashboard:ignore_confirm": Route(CONFIRM, IGNORE),
    "dashboard:retry": Route(POST, RETRY),
    "dashboard:ignore": Route(POST, IGNORE),
    "dashboard:autoretry": Route(CONFIRM, VIEW, post_permission=RETRY),
    "audit:list": Route(READ, AUDIT),
    "audit:export": Route(READ, AUDIT),
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
    route = ROUTES.get(name)
    if route is None:
        pytest.fail(f"URL {name!r} is not classified in ROUTES (kind, permission, sample kwargs).")
    return reverse(name, kwargs=route.kwargs)


def make_user(username: str, permissions: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, password="pw-" + username)
    for perm in permissions:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def state_counts() -> tuple[int, ...]:
    """Rows our state-changing views would add: audit entries, imports, statistics runs."""
    return (AuditEntry.objects.count(), ImportJob.objects.count(), StatsRun.objects.count())


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user("admin-all", ALL_PERMISSIONS))
    return client


def test_routes__every_url_is_classified():
    """Every discovered URL is in ROUTES (or exempt with a reason); ROUTES lists no stale name."""
    unknown = [name for name in DISCOVERED if name not in ROUTES]
    assert not unknown, f"classify these URLs in ROUTES: {unknown}"
    stale = sorted(set(ROUTES) - set(DISCOVERED))
    assert not stale, f"ROUTES names URLs that no longer exist: {stale}"


def test_routes__every_sample_reverses():
    """Each classified URL reverses with its sample kwargs."""
    for name in DISCOVERED:
        assert url_for(name).startswith("/")


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__anonymous_is_sent_to_login(client, name):
    """Anonymous: pages redirect to login with ``next``, JSON endpoints answer 401 JSON."""
    url = url_for(name)
    kind = ROUTES[name].kind
    before = state_counts()
    response = client.post(url) if kind == POST else client.get(url)
    if kind == API:
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]
    else:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("login") + "?next=")
    if kind == POST:
        assert client.get(url).status_code in (302, 405)
    if kind == CONFIRM:
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert state_counts() == before


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__user_without_permissions_is_forbidden(client, name):
    """A logged-in user without any permission gets 403 on every method the URL accepts."""
    client.force_login(make_user("nobody"))
    url = url_for(name)
    kind = ROUTES[name].kind
    before = state_counts()
    if kind != POST:
        assert client.get(url).status_code == 403
    if kind in (POST, CONFIRM):
        assert client.post(url).status_code == 403
    assert state_counts() == before


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__every_other_permission_is_not_enough(client, name):
    """A user holding every permission except the URL's own still gets 403."""
    route = ROUTES[name]
    url = url_for(name)
    client.force_login(
        make_user("almost", tuple(p for p in ALL_PERMISSIONS if p != route.permission))
    )
    before = state_counts()
    response = client.post(url) if route.kind == POST else client.get(url)
    assert response.status_code == 403
    if route.post_permission:
        client.force_login(
            make_user(
                "almost-post", tuple(p for p in ALL_PERMISSIONS if p != route.post_permission)
            )
        )
        assert client.post(url).status_code == 403
    assert state_counts() == before


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__the_permission_is_enough(client, name):
    """A user holding only the URL's permission gets through (no 401/403, no server error)."""
    route = ROUTES[name]
    client.force_login(make_user("exact", (route.permission,)))
    if route.kind == POST:
        return  # acting is tested per feature; here only the gate matters (see test above)
    response = client.get(url_for(name))
    assert response.status_code in (200, 404), response.status_code


@pytest.mark.parametrize(
    "name", [n for n in DISCOVERED if ROUTES.get(n, Route(POST, "")).kind in (READ, API)]
)
def test_url__read_only_urls_refuse_post(admin_client, name):
    """Pages that only show data answer 405 to POST (and change nothing)."""
    before = state_counts()
    assert admin_client.post(url_for(name)).status_code == 405
    assert state_counts() == before


@pytest.mark.parametrize(
    "name", [n for n in DISCOVERED if ROUTES.get(n, Route(READ, "")).kind == POST]
)
def test_url__state_changing_urls_refuse_get(admin_client, name):
    """Views that change state answer 405 to GET and change nothing."""
    before = state_counts()
    assert admin_client.get(url_for(name)).status_code == 405
    assert state_counts() == before


@pytest.mark.parametrize(
    "name", [n for n in DISCOVERED if ROUTES.get(n, Route(POST, "")).kind in (POST, CONFIRM)]
)
def test_url__post_without_csrf_token_is_refused(name):
    """A POST without the CSRF token is refused (403) by a user allowed to act; nothing changes."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin-csrf", ALL_PERMISSIONS))
    before = state_counts()
    response = client.post(url_for(name), {"scope": "filter", "source": "both"})
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert state_counts() == before


def test_login__redirects_only_to_local_next(client):
    """``next`` pointing to another site is ignored; a local one is followed."""
    make_user("someone", (VIEW,))
    for evil in ("https://evil.example/", "//evil.example/x", "https:evil.example"):
        response = client.post(
            reverse("login"), {"username": "someone", "password": "pw-someone", "next": evil}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard:overview"), evil
        client.logout()
    response = client.post(
        reverse("login"),
        {"username": "someone", "password": "pw-someone", "next": reverse("dashboard:groups")},
    )
    assert response["Location"] == reverse("dashboard:groups")


def test_logout__is_post_only(client):
    """GET does not log out (405); POST does."""
    client.force_login(make_user("someone"))
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


#: A <script> element without ``src`` (inline code) or an inline event handler attribute.
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>|<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "name", [n for n in DISCOVERED if ROUTES.get(n, Route(POST, "")).kind in (READ, CONFIRM)]
)
def test_url__security_headers_and_no_inline_script(admin_client, name):
    """Pages send a CSP that forbids inline scripts (and have none: it would break them), deny
    framing and sniffing, and are never cached."""
    response = admin_client.get(url_for(name))
    policy = response["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    if response.status_code == 200:  # (a 404 for the sample ids shows no data)
        assert "no-store" in response["Cache-Control"]  # operational data: never cached
    if response.get("Content-Type", "").startswith("text/html"):
        assert not INLINE_SCRIPT.search(response.content), name


def test_production__session_and_cookie_settings():
    """Production: secure, HTTP-only cookies, a same-origin referrer, no framing, sessions that
    end after a working day, and the CSP."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_REFERRER_POLICY', "
        "'X_FRAME_OPTIONS', 'SESSION_COOKIE_AGE', 'CONTENT_SECURITY_POLICY', 'DEBUG')}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    env.update(
        DJANGO_SETTINGS_MODULE="app.settings.production",
        SECRET_KEY="k" * 60,
        DYNO="web.1",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/d",
        REDIS_URL="rediss://:pw@127.0.0.1:6380",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert 3600 <= values["SESSION_COOKIE_AGE"] <= 24 * 3600
    assert "script-src 'self'" in values["CONTENT_SECURITY_POLICY"]
    assert values["DEBUG"] is False


#: Query parameters an attacker or a stale bookmark may send: garbage cursors, dates, choices,
#: NUL bytes (PostgreSQL refuses them in text), huge numbers, unknown scopes.
TAMPERED_PARAMS = [
    {"cursor": "garbage"},
    {"cursor": "eyJ4IjogMX0"},
    {"since": "yesterday", "until": "2026-13-45"},
    {"source": "evil", "state": "DROP", "action": "\x00"},
    {"range": "x", "code": "\x00"},
    {"table": "a'b\x00"},
    {"before": "-1"},
    {"before": "9" * 30},
    {"connection": "\x00"},
    {"group": "x" * 500, "q": "a\x00b"},
    {"user": "\x00", "outcome": "\x00"},
    {"scope": "ids", "id": "9" * 30},
    {"scope": "ids", "ids": "abc"},
    {"scope": "evil", "write_algorithm": "evil", "expected": "x"},
]
#: Replacements for the sample path values: a NUL byte, an overlong id, a huge number.
TAMPERED_PATH_VALUES = ["%00", "x" * 300, "..%2F..", "99999999999999999999"]


def assert_handled(response, what: str) -> None:
    """A clear answer (redirect, 400, 404, or the confirmation page's 503), never our 500."""
    assert response.status_code != 500, what
    assert response.status_code < 500 or b"Server error" not in response.content, what


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__tampered_query_is_handled(name):
    """Tampered query strings and bodies get a clear answer; GETs change nothing."""
    client = Client(raise_request_exception=False)
    client.force_login(make_user("admin-tamper", ALL_PERMISSIONS))
    url = url_for(name)
    kind = ROUTES[name].kind
    for params in TAMPERED_PARAMS:
        if kind != POST:
            before = state_counts()[:2]  # the first visit may build the statistics (StatsRun)
            assert_handled(client.get(url, params), f"GET {url} {params}")
            assert state_counts()[:2] == before
        if kind in (POST, CONFIRM):
            assert_handled(client.post(url, params), f"POST {url} {params}")


@pytest.mark.parametrize("name", [n for n in DISCOVERED if ROUTES.get(n, Route(READ, "")).kwargs])
def test_url__tampered_path_is_not_found(name):
    """Tampered ids in the path (NUL byte, overlong, huge number) are a 404, not a crash."""
    client = Client(raise_request_exception=False)
    client.force_login(make_user("admin-path", ALL_PERMISSIONS))
    url = url_for(name)
    for value in ROUTES[name].kwargs.values():
        for bad in TAMPERED_PATH_VALUES:
            path = url.replace(f"/{value}/", f"/{bad}/", 1)
            for method in (client.get, client.post):
                response = method(path)
                assert response.status_code in (400, 404, 405), (path, response.status_code)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("dashboard:retry", {"scope": "ids", "ids": "live:1"}),
        ("dashboard:ignore", {"scope": "ids", "ids": "live:1"}),
        ("dashboard:ignore_confirm", {"scope": "ids", "ids": "live:1"}),
        ("connections:refresh", {}),
    ],
)
def test_actions__next_must_be_local(admin_client, name, data):
    """The ``next`` of the retry/ignore forms never leads to another site."""
    for evil in ("https://evil.example/", "//evil.example/x", "https:evil.example"):
        response = admin_client.post(reverse(name), {**data, "next": evil})
        assert "evil.example" not in response.get("Location", ""), evil
        assert b"evil.example" not in response.content, evil


def test_login__csrf_required():
    """The login form itself is CSRF-protected (no login CSRF)."""
    make_user("someone")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "someone", "password": "pw-someone"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_pages__hostile_data_is_escaped(admin_client):
    """Salesforce messages, record values, API notifications and audit text are shown escaped."""
    from django.utils import timezone

    from app.audit.services import record_action
    from app.connections import services
    from app.dashboard import stats
    from tests.app.connections.factories import stored_connection
    from tests.heroku_connect.trigger_log.factories import make_log

    log = make_log(
        sf_message=f"FIELD_INTEGRITY_EXCEPTION: {HOSTILE}", values=f'"name"=>"{HOSTILE}"'
    )
    stats.refresh_stats()
    conn = stored_connection(connection_id="hostile")
    conn.name = HOSTILE
    conn.save()
    now = timezone.now()
    services.store_notifications(conn, [{"id": 1, "event_type": HOSTILE, "message": HOSTILE}], now)
    record_action(user=None, action="retry", target=HOSTILE, detail=HOSTILE)
    urls = [
        reverse("dashboard:overview"),
        reverse("dashboard:groups"),
        reverse("dashboard:failures"),
        reverse("dashboard:detail", args=["live", log.id]),
        reverse("audit:list"),
        reverse("connections:status"),
        reverse("connections:connection", args=[conn.connection_id]),
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert not INLINE_SCRIPT.search(response.content), url
    assert b"&lt;script&gt;" in admin_client.get(reverse("dashboard:failures")).content


@pytest.mark.parametrize("name", DISCOVERED)
def test_url__other_methods_are_refused(admin_client, name):
    """PUT, PATCH and DELETE are refused (405) everywhere and change nothing."""
    url = url_for(name)
    before = state_counts()
    for method in (admin_client.put, admin_client.patch, admin_client.delete):
        assert method(url).status_code == 405, method.__name__
    assert state_counts() == before
