"""Pages render from our own tables: permissions, freshness, banners, constant query counts."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from app.connections import services
from app.connections.models import DeployedMapping, ImportJob, RefreshRun
from tests.app.connections.factories import connection_payload, mapping_payload, stored_connection

pytestmark = pytest.mark.django_db

CID = "5b7e3b52-0000-4000-8000-000000000001"


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "url",
    [
        "/connections/",
        "/connections/status.json",
        "/connections/diff/",
        "/connections/diff/mapping.json",
        f"/connections/{CID}/",
    ],
)
def test_pages__require_login_and_view_permission(client, nobody, url):
    """Anonymous users go to the login page; users without view_dashboard get 403."""
    stored_connection()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(nobody)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url", [f"/connections/{CID}/import/", f"/connections/{CID}/actions/pause/"]
)
def test_actions__need_manage_mappings(viewer_client, url):
    """Viewers can see the pages but not the import / action confirmations (403, no job)."""
    stored_connection()
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url).status_code == 403
    assert not ImportJob.objects.exists()


def test_status__shows_state_health_counts_and_freshness(viewer_client):
    """Connection state and health class, mapping states and counts, 'updated … ago'."""
    stored_connection("PAUSED", n_mappings=2)
    run = RefreshRun.objects.create(ok=True, api_calls=4)
    RefreshRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=40)
    )
    html = viewer_client.get(reverse("connections:status")).content.decode()
    assert re.search(r"Updated <time[^>]*>4[01] s ago</time>", html)
    assert "PAUSED" in html
    assert "Warning" in html
    assert "Object0__c" in html
    assert "Object1__c" in html
    assert "DATA_SYNCED" in html
    assert "Updated" in html
    assert "stale" not in html.split('data-testid="freshness"')[1].split("</p>")[0]


def test_status__failed_refresh_shows_banner_and_stale(viewer_client):
    """A failed last refresh names the problem and marks the stored data stale."""
    stored_connection()
    ok = RefreshRun.objects.create(ok=True)
    RefreshRun.objects.filter(pk=ok.pk).update(
        started_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    RefreshRun.objects.create(
        ok=False,
        error_kind="unauthorized",
        error_message="Heroku Connect API refused the token (unauthorized): answered 401",
    )
    html = viewer_client.get(reverse("connections:status")).content.decode()
    assert 'data-testid="api-failure"' in html
    assert "refused the token" in html
    assert "stale" in html


def test_status_json__same_read_model(viewer_client):
    """The JSON endpoint carries state, health, counts and freshness, in constant queries."""
    stored_connection("IDLE", n_mappings=2)
    RefreshRun.objects.create(ok=True)
    url = reverse("connections:status_json")
    data = viewer_client.get(url).json()
    (conn,) = data["connections"]
    assert (conn["state"], conn["health"]) == ("IDLE", "healthy")
    assert [m["object_name"] for m in conn["mappings"]] == ["Object0__c", "Object1__c"]
    assert conn["mappings"][0]["counts"] == {"db": 10, "sf": 10, "pending": 0, "errors": 0}
    assert data["stale"] is False
    queries = _count_queries(viewer_client, url)
    stored_connection("IDLE", n_mappings=25, connection_id="another")
    assert _count_queries(viewer_client, url) == queries


def test_status__never_refreshed_is_stale(viewer_client):
    """Without any refresh run the page says so and marks it stale."""
    html = viewer_client.get(reverse("connections:status")).content.decode()
    assert "Never refreshed" in html


def test_status__query_count_independent_of_mappings_and_snapshots(viewer_client):
    """Same number of queries with 1 mapping / 1 snapshot as with 30 mappings / 20 snapshots."""
    stored_connection(n_mappings=1)
    RefreshRun.objects.create(ok=True)
    small = _count_queries(viewer_client, reverse("connections:status"))
    small_detail = _count_queries(viewer_client, f"/connections/{CID}/")
    for i in range(20):
        stored_connection(
            "IDLE" if i % 2 else "POLLING_DB_CHANGES",
            n_mappings=30,
            at=timezone.now() + services.SNAPSHOT_EVERY * (i + 1),
        )
    stored_connection(n_mappings=5, connection_id="other-connection")
    from app.connections.models import MappingSnapshot

    assert MappingSnapshot.objects.count() > 20 * 30
    assert _count_queries(viewer_client, reverse("connections:status")) == small
    assert _count_queries(viewer_client, f"/connections/{CID}/") == small_detail


def test_connection__timeline_lists_state_changes_only(viewer_client):
    """Repeated identical snapshots collapse; each change appears once, newest first."""
    start = timezone.now() - datetime.timedelta(hours=1)
    for i, state in enumerate(["IDLE", "IDLE", "PAUSED", "PAUSED", "IDLE"]):
        stored_connection(state, at=start + datetime.timedelta(minutes=i))
    html = viewer_client.get(f"/connections/{CID}/").content.decode()
    timeline = html.split('data-testid="connection-timeline"')[1].split("</ol>")[0]
    assert timeline.count("<li>") == 3
    assert timeline.index("from PAUSED") < timeline.index("from IDLE")
    assert timeline.count(" UTC</time>") == 3


def test_mapping_removed__keeps_history_and_leaves_status(viewer_client):
    """A mapping missing from the API is marked removed, not deleted."""
    stored_connection(n_mappings=2)
    stored_connection(n_mappings=1)
    html = viewer_client.get(reverse("connections:status")).content.decode()
    assert "Object1__c" not in html
    assert "removed" in viewer_client.get(f"/connections/{CID}/").content.decode()


def test_download__sorted_canonical_json(viewer_client):
    """The code's mapping downloads as sorted JSON with every connected model."""
    response = viewer_client.get(reverse("connections:download"))
    assert response["Content-Disposition"] == 'attachment; filename="mapping.json"'
    body = response.content.decode()
    doc = json.loads(body)
    names = [m["object_name"] for m in doc["mappings"]]
    assert names == sorted(names)
    assert "Contact" in names
    assert body.endswith("\n")


def test_diff__from_stored_deployed_mapping(viewer_client):
    """The diff page compares the code to the stored export, without calling the API."""
    from heroku_connect.mapping import get_mapping

    conn = stored_connection()
    deployed = get_mapping()
    deployed["mappings"] = [m for m in deployed["mappings"] if m["object_name"] != "User"]
    contact = next(m for m in deployed["mappings"] if m["object_name"] == "Contact")
    contact["config"]["sf_polling_seconds"] = 300
    DeployedMapping.objects.create(connection=conn, document=deployed, fetched_at=timezone.now())
    html = viewer_client.get(reverse("connections:diff")).content.decode()
    assert "1 added, 0 removed, 1 changed" in html
    assert "polling interval (s)" in html
    assert "Import mapping" not in html  # viewers do not get the button
    # The direction is deployed -> code (what an import changes), and the heading says so.
    assert "What importing the code's mapping changes" in html
    assert re.search(r"<code>300</code> → <code>\d+</code>", html)


def test_diff__unknown_connection_is_404(viewer_client):
    assert viewer_client.get(reverse("connections:diff") + "?connection=nope").status_code == 404


def test_import_job__htmx_partial_stops_polling_when_finished(viewer_client, viewer):
    """htmx requests get the partial; 286 once the job is done (polling stops)."""
    conn = stored_connection()
    job = ImportJob.objects.create(connection=conn, document={"mappings": []})
    url = reverse("connections:import_job", args=[job.pk])
    response = viewer_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"data-poll-url" in response.content
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE)
    response = viewer_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert b"data-poll-url" not in response.content
    full = viewer_client.get(url)
    assert full.status_code == 200
    assert b"<html" in full.content


def test_import__post_creates_one_job_and_refuses_a_second(
    boss_client, boss, django_capture_on_commit_callbacks
):
    """The confirmed POST queues a job (enqueued on commit); a second one is refused cleanly."""
    conn = stored_connection()
    url = reverse("connections:import", args=[conn.connection_id])
    confirm = boss_client.get(url)
    assert b"Yes, import the mapping" in confirm.content
    with django_capture_on_commit_callbacks() as callbacks:
        response = boss_client.post(url)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("connections:import_job", args=[job.pk])
    assert job.state == ImportJob.State.QUEUED
    assert job.requested_by == boss
    assert len(callbacks) == 1
    # The flash message stays visible while the live progress moves past "queued".
    page = boss_client.get(response["Location"]).content.decode()
    assert f"Import #{job.pk} requested; this page follows its progress." in page
    assert f"Import #{job.pk} queued." not in page
    response = boss_client.post(url, follow=True)
    assert ImportJob.objects.count() == 1
    assert b"already queued or running" in response.content


def test_action__unknown_action_is_404(boss_client):
    stored_connection()
    assert boss_client.get(f"/connections/{CID}/actions/explode/").status_code == 404
    assert boss_client.get(f"/connections/{CID}/actions/reload/").status_code == 404


def test_action__api_not_configured_is_a_banner(boss_client, settings):
    """Without a token the POST answers with a banner naming the problem, no traceback."""
    settings.HEROKU_AUTH_TOKEN = ""
    stored_connection()
    response = boss_client.post(f"/connections/{CID}/actions/pause/", follow=True)
    assert response.status_code == 200
    assert b"not configured" in response.content
    from app.audit.models import AuditEntry

    entry = AuditEntry.objects.get()
    assert entry.action == "connections.pause"
    assert entry.outcome == "error"


@pytest.mark.django_db(transaction=True)
def test_import__concurrent_requests_create_one_active_job():
    """Two simultaneous requests: the partial unique constraint lets exactly one through."""
    import threading

    from django.db import connections

    conn = stored_connection()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            services.request_import(conn=conn, document={"mappings": []}, user=None)
            outcomes.append("queued")
        except services.ImportAlreadyRunning:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["queued", "refused"]
    assert ImportJob.objects.filter(state=ImportJob.State.QUEUED).count() == 1


def test_snapshots__stored_on_change_or_as_heartbeat():
    """Identical refreshes add no history; a state or count change does; so does 15 min."""
    from app.connections.models import ConnectionSnapshot, MappingSnapshot
    from tests.app.connections.factories import connection_payload, mapping_payload

    start = timezone.now()

    def store(minutes: float, state: str = "IDLE", pending: int = 0) -> None:
        payload = connection_payload(state, [mapping_payload("Contact", pending=pending)])
        services.store_connection(payload, start + datetime.timedelta(minutes=minutes))

    store(0)
    store(1)
    store(2)
    assert (ConnectionSnapshot.objects.count(), MappingSnapshot.objects.count()) == (1, 1)
    store(3, pending=5)
    assert (ConnectionSnapshot.objects.count(), MappingSnapshot.objects.count()) == (1, 2)
    store(4, state="POLLING_DB_CHANGES", pending=5)
    assert (ConnectionSnapshot.objects.count(), MappingSnapshot.objects.count()) == (2, 2)
    store(20, state="POLLING_DB_CHANGES", pending=5)
    assert (ConnectionSnapshot.objects.count(), MappingSnapshot.objects.count()) == (3, 3)


class _OddClient:
    """An in-process stand-in returning a payload of the wrong shape (no HTTP involved)."""

    def list_connections(self, app_name: str) -> list[dict]:
        return [{"id": "c1"}]

    def get_connection(self, connection_id: str, *, deep: bool = False) -> dict:
        return {"id": "c1", "state": "IDLE", "mappings": [{"object_name": "Contact"}]}


def test_refresh__unexpected_payload_shape_is_an_invalid_response(settings):
    """A mapping without an id is recorded as an invalid response, not a crash."""
    settings.HEROKU_CONNECT_APP_NAME = "hcop-test"
    run = services.refresh_status(client=_OddClient())
    assert (run.ok, run.error_kind) == (False, "invalid_response")
    assert "unexpected payload shape" in run.error_message


def test_status__api_times_readable_in_utc(viewer_client):
    """Mapping times from the API (ISO text with microseconds/offsets) show as 'Y-m-d H:M:S UTC'."""
    payload = connection_payload(
        mappings=[
            {
                **mapping_payload("Contact"),
                "times": {"sf_poll": "2026-11-25T10:25:08.309755+01:00", "db_write": None},
            }
        ]
    )
    services.store_connection(payload, timezone.now())
    html = viewer_client.get(reverse("connections:status")).content.decode()
    assert "2026-11-25 09:25:08 UTC" in html
    assert "309755" not in html
    assert '<td class="nowrap">–</td>' in html


@pytest.mark.parametrize(
    ("state", "warned"), [("IDLE", False), ("PAUSED", True), ("POLLING", True)]
)
def test_pause_confirm__warns_when_the_connection_is_not_idle(boss_client, state, warned):
    """Pausing is only allowed from IDLE: the confirmation says so before the operator clicks."""
    stored_connection(state)
    html = boss_client.get(f"/connections/{CID}/actions/pause/").content.decode()
    assert ('data-testid="state-warning"' in html) is warned
    assert ("already paused" in html) is (state == "PAUSED")
