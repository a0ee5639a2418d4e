"""Secrets never leak: not in pages, JSON, CSV, health output, banners, stored errors or logs.

The Heroku Connect token, the dashboard API token, the database password and the Redis password
are set to recognisable values; every page is rendered as a user with every permission, every
API failure we can provoke (simulator faults, API down) goes through the operator actions, and
all logs are captured at DEBUG.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from app.audit.models import AuditEntry
from app.celery import app as celery_app
from app.connections import services, tasks
from app.connections.models import Connection, ImportJob, Mapping, RefreshRun
from heroku_connect.mapping import get_mapping
from tests.app.dashboard.confirming import confirm_and_perform
from tests.app.test_url_security import ALL_PERMISSIONS, API, DISCOVERED, POST, ROUTES, make_user
from tests.heroku_connect.trigger_log.factories import make_log

HEROKU_TOKEN = "hcop-leak-heroku-token-7f3a9c"
API_TOKEN = "hcop-leak-api-token-5d1e8b"
DB_PASSWORD = "hcop-leak-db-password-2c4f6a"
REDIS_PASSWORD = "hcop-leak-redis-password-9b7d3e"
SECRETS = {
    "HEROKU_AUTH_TOKEN": HEROKU_TOKEN,
    "DASHBOARD_API_TOKEN": API_TOKEN,
    "database password": DB_PASSWORD,
    "Redis password": REDIS_PASSWORD,
}

pytestmark = pytest.mark.simulator(token=HEROKU_TOKEN, import_seconds=0.2)


def assert_clean(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    for name, value in SECRETS.items():
        assert value not in text, f"the {name} appears in {where}"


def assert_response_clean(response, where: str) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert_clean(body, where)
    assert_clean(str(dict(response.headers)), f"headers of {where}")


def assert_stored_clean() -> None:
    """What the error paths store for the pages: refresh runs, import reasons, audit details."""
    for run in RefreshRun.objects.all():
        assert_clean(run.error_message, f"RefreshRun {run.pk}")
    for job in ImportJob.objects.all():
        assert_clean(job.reason, f"ImportJob {job.pk}")
    for entry in AuditEntry.objects.all():
        assert_clean(f"{entry.target} {entry.detail} {entry.selection}", f"AuditEntry {entry.pk}")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def secrets(settings, simulator) -> Iterator[object]:
    """Recognisable secrets everywhere the app could read them (the database trusts local users,
    so the password is sent and ignored)."""
    assert simulator.token == HEROKU_TOKEN
    settings.DASHBOARD_API_TOKEN = API_TOKEN
    settings.DATABASE_URL = f"postgres://postgres:{DB_PASSWORD}@127.0.0.1:5432/postgres"
    settings.REDIS_URL = f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"
    settings_dict = connection.settings_dict
    old_password = settings_dict.get("PASSWORD")
    settings_dict["PASSWORD"] = DB_PASSWORD
    connection.close()  # the next query connects with the password
    try:
        yield simulator
    finally:
        settings_dict["PASSWORD"] = old_password


@pytest.fixture
def logs(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG; checked for secrets at the end of the test."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert_clean(caplog.text, "the logs")


@pytest.fixture
def boss() -> Client:
    client = Client()
    user = make_user("boss", ALL_PERMISSIONS)
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def _populated(sim) -> tuple[Connection, Mapping]:
    """A refreshed connection with a mapping, an import, a failure; returns the connection."""
    sim.import_mapping(get_mapping())
    sim.wait_idle()
    run = services.refresh_status(client=services.make_client())
    assert run.ok, run.error_message
    conn = Connection.objects.get(connection_id=sim.connection_id)
    ImportJob.objects.create(connection=conn, document={"mappings": []}, state="FAILED")
    make_log(sf_message="UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
    _bulk_job()
    return conn, conn.mappings.filter(removed_at=None).first()


def _bulk_job() -> None:
    """A background retry job of the failures (its page is one of the pages checked)."""
    from app.dashboard import bulk, filters
    from heroku_connect.states import WriteAlgorithm

    bulk.start_job(
        action="retry",
        kind="filter",
        selection=filters.selection_from_params({"source": "both"}),
        confirmed_count=1,
        confirmation="secrets-test",
        user=None,
        algorithm=WriteAlgorithm.MERGE_WRITES,
    )


def _sample_kwargs(name: str, conn: Connection, mapping: Mapping) -> dict:
    kwargs = dict(ROUTES[name].kwargs)
    if "connection_id" in kwargs:
        kwargs["connection_id"] = conn.connection_id
    if "mapping_id" in kwargs:
        kwargs["mapping_id"] = mapping.mapping_id
    if name == "connections:import_job":
        kwargs["pk"] = ImportJob.objects.latest("pk").pk
    if name == "dashboard:bulk_job":
        from app.dashboard.models import BulkActionJob

        kwargs["pk"] = BulkActionJob.objects.latest("pk").pk
    if name == "dashboard:detail":
        from heroku_connect.models import TriggerLog

        kwargs["pk"] = TriggerLog.objects.latest("id").id
    return kwargs


def test_pages__no_secret_on_any_page(secrets, logs, boss):
    """Every GET page (and the admin), rendered with real data, shows no secret."""
    conn, mapping = _populated(secrets)
    for name in DISCOVERED:
        if ROUTES[name].kind == POST:
            continue
        url = reverse(name, kwargs=_sample_kwargs(name, conn, mapping))
        response = boss.get(url, ROUTES[name].query)
        assert response.status_code == 200, (url, response.status_code)
        assert "no-store" in response["Cache-Control"], url  # never kept by a proxy or browser
        assert_response_clean(response, url)
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert_response_clean(boss.get(url), url)
    assert_response_clean(boss.get(reverse("admin:index")), "admin index")


def test_api__bearer_token_never_echoed(secrets, logs, client):
    """The JSON endpoints with the right, a wrong and a malformed token: no token in the answer."""
    for name in DISCOVERED:
        if ROUTES[name].kind != API:
            continue
        url = reverse(name)
        ok = client.get(url, HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}")
        assert ok.status_code == 200
        assert_response_clean(ok, url)
        for header in (f"Bearer {API_TOKEN[:-1]}", f"Basic {API_TOKEN}", f"Bearer {HEROKU_TOKEN}"):
            refused = client.get(url, HTTP_AUTHORIZATION=header)
            assert refused.status_code == 401
            assert_response_clean(refused, f"{url} with {header.split()[0]}")


FAULTS = [
    pytest.param({"status": 500}, id="500"),
    pytest.param({"status": 503}, id="503"),
    pytest.param({"unauthorized": True}, id="401"),
    pytest.param({"invalid_json": True}, id="invalid-json"),
    pytest.param(None, id="down"),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_api_failures__banners_and_stored_errors_hold_no_secret(
    secrets, logs, boss, settings, fault
):
    """Fetch, pause, reload, import and the refresh with the API failing: clean banners, pages,
    stored errors and logs."""
    conn, mapping = _populated(secrets)
    if fault is None:
        settings.HEROKU_CONNECT_API_ENDPOINT = f"http://127.0.0.1:{closed_port()}/api/v3"
    else:
        secrets.state.set_faults(**fault)
    posts = [
        reverse("connections:fetch", args=[conn.connection_id]),
        reverse("connections:action", args=[conn.connection_id, "pause"]),
        reverse(
            "connections:mapping_action", args=[conn.connection_id, mapping.mapping_id, "reload"]
        ),
    ]
    for url in posts:
        response = boss.post(url, follow=True)
        assert response.status_code == 200
        if url == posts[0]:  # actions without a response body succeed on invalid JSON
            assert b"failed" in response.content
        assert_response_clean(response, f"the banner after {url}")
    response = boss.post(reverse("connections:import", args=[conn.connection_id]))
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert not services.refresh_status(client=services.make_client()).ok
    for name in ("connections:status", "connections:status_json", "connections:import_job"):
        kwargs = {"pk": job.pk} if name == "connections:import_job" else {}
        assert_response_clean(boss.get(reverse(name, kwargs=kwargs)), name)
    assert_stored_clean()


@pytest.fixture
def celery_worker():
    """A real worker on the in-memory broker: its heartbeat makes the Celery check pass."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def test_health__every_format_is_clean(secrets, logs, client, celery_worker, settings):
    """/health/ in every format (the API refusing the token), and as JSON with the API failing
    or down."""
    secrets.state.set_faults(unauthorized=True)
    for query in ("", "?format=json", "?format=text", "?format=atom", "?format=rss",
                  "?format=openmetrics"):  # fmt: skip
        response = client.get("/health/" + query)
        # The feeds and the metrics answer 200 and carry the failure in their body.
        feed = any(kind in query for kind in ("atom", "rss", "metrics"))
        assert response.status_code == (200 if feed else 500)
        assert_clean(response.content, f"/health/{query}")
    secrets.state.set_faults(unauthorized=False, status=500)
    assert_clean(client.get("/health/?format=json").content, "/health/ with the API failing")
    settings.HEROKU_CONNECT_API_ENDPOINT = f"http://127.0.0.1:{closed_port()}/api/v3"
    assert_clean(client.get("/health/?format=json").content, "/health/ with the API down")


def test_login__submitted_password_is_not_echoed(secrets, logs, client):
    """A failed login re-renders the form without the password typed."""
    User.objects.create_user("someone", password="right-password")
    response = client.post(reverse("login"), {"username": "someone", "password": DB_PASSWORD})
    assert response.status_code == 200
    assert_response_clean(response, "the failed login page")


PII = "Jane-Doe-PII-4711"


@pytest.mark.simulator(token=HEROKU_TOKEN, ordered_writes=False)
def test_logs__no_salesforce_data(simulator, caplog, settings):
    """Triage, retry, ignore, statistics, auto-retry and the report with failed writes of
    records holding a recognisable value: the value never reaches the logs."""
    from django.core.management import call_command

    from app.audit.models import AutoRetryPolicy
    from app.dashboard import autoretry, stats
    from app.salesforce.models import Account
    from heroku_connect.models import TriggerLog

    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    accounts = [Account.objects.create(name=f"{PII} {n}") for n in range(4)]
    simulator.engine.transient_failure_rate = 1.0
    simulator.engine.write_cycle()
    failed = list(TriggerLog.objects.filter(state="FAILED").order_by("id"))
    assert len(failed) == len(accounts)
    assert PII in failed[0].values  # the trigger log holds the record's values
    caplog.clear()
    caplog.set_level(logging.DEBUG)

    client = Client()
    client.force_login(make_user("operator", ALL_PERMISSIONS))
    assert client.get(reverse("dashboard:failures"), {"q": PII}).status_code == 200
    for log in failed:
        assert client.get(reverse("dashboard:detail", args=["live", log.id])).status_code == 200
    ids = {"ids": [f"live:{log.id}" for log in failed[:2]]}
    assert client.get(reverse("dashboard:retry_confirm"), ids).status_code == 200
    assert confirm_and_perform(client, "retry", ids).status_code == 302
    ignore = {"ids": [f"live:{failed[2].id}"]}
    assert confirm_and_perform(client, "ignore", ignore).status_code == 302
    stats.refresh_stats()
    policy = AutoRetryPolicy.current()
    policy.enabled = True
    policy.save()
    autoretry.run_autoretry()
    call_command("triage_report", "--json", stdout=io.StringIO())
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"retry", "ignore", "autoretry"} <= actions
    assert not TriggerLog.objects.filter(state="FAILED").exists()  # the auto-retry took the last
    assert caplog.records  # the code paths log (and say nothing about the records' values)
    assert PII not in caplog.text
