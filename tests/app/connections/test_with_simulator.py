"""Refresh, diff, import and actions against the Heroku Connect simulator over real HTTP."""

from __future__ import annotations

import io
import json

import pytest
import requests
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from app.audit.models import AuditEntry
from app.connections import services
from app.connections.models import (
    Connection,
    DeployedMapping,
    ImportJob,
    Mapping,
    Notification,
    RefreshRun,
)
from app.core.demo import drifted_demo_mapping
from heroku_connect.api import HerokuConnectClient
from heroku_connect.mapping import get_mapping

pytestmark = pytest.mark.simulator(import_seconds=0.3)


class CountingSession(requests.Session):
    """A real session that counts the HTTP requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN201
        params = kwargs.get("params") or {}
        self.calls.append(f"{method} {url.split('/api/v3', 1)[-1]} {sorted(params.items())}")
        return super().request(method, url, *args, **kwargs)


def _imported(sim) -> None:
    sim.import_mapping(get_mapping())
    sim.wait_idle()


def _refresh() -> RefreshRun:
    return services.refresh_status(client=services.make_client())


def test_refresh__stores_state_mappings_notifications_and_export(simulator):
    """One run stores the connection, every mapping with counts, notifications, the export."""
    _imported(simulator)
    simulator.state.add_notification("mapping-error", "Contact: something broke")
    session = CountingSession()
    run = services.refresh_status(client=HerokuConnectClient(session=session))
    assert run.ok, run.error_message
    conn = Connection.objects.get()
    assert conn.connection_id == simulator.connection_id
    assert conn.state == "IDLE"
    assert conn.health_class == "healthy"
    mappings = {m.object_name: m for m in Mapping.objects.all()}
    assert set(mappings) == {m["object_name"] for m in get_mapping()["mappings"]}
    assert mappings["Contact"].state == "DATA_SYNCED"
    assert mappings["Contact"].count_sf is not None
    (note,) = Notification.objects.all()
    assert note.message == "Contact: something broke"
    assert note.event_type == "mapping-error"
    assert DeployedMapping.objects.get().document["mappings"]
    # Bounded: one list call, then per connection one deep GET, notifications and export.
    assert run.api_calls == len(session.calls) == 4
    assert sum("('deep', 'True')" in c for c in session.calls) == 1


def test_refresh__acknowledged_notifications_leave_the_page(simulator):
    """A notification acknowledged in Heroku Connect is marked acknowledged at the next run."""
    note = simulator.state.add_notification("postgres-connection", "DB hiccup")
    _refresh()
    simulator.state.acknowledge({note.id})
    _refresh()
    assert Notification.objects.get().acknowledged is True


@pytest.mark.parametrize(
    ("fault", "kind", "text"),
    [
        ({"unauthorized": True}, "unauthorized", "unauthorized"),
        ({"status": 500}, "server_error", "500"),
        ({"invalid_json": True}, "invalid_response", "invalid"),
    ],
)
def test_refresh__api_failure_is_recorded_and_keeps_data(simulator, fault, kind, text):
    """A failing API ends the run as failed with a clear, token-free message; data stays."""
    assert _refresh().ok
    simulator.state.set_faults(**fault)
    run = _refresh()
    assert not run.ok
    assert run.error_kind == kind
    assert text in run.error_message.lower()
    assert simulator.token not in run.error_message
    assert Connection.objects.get().state == "IDLE"


def test_refresh__timeout_is_recorded(simulator, settings):
    """A hanging API is cut by the client's timeout and recorded as unreachable."""
    simulator.state.set_faults(timeout=True, timeout_seconds=3)
    run = services.refresh_status(client=HerokuConnectClient(timeout=0.3))
    assert run.error_kind == "unreachable"


def test_refresh__missing_token_is_recorded(simulator, settings):
    """No token: the run fails as not configured, without any HTTP call."""
    settings.HEROKU_AUTH_TOKEN = ""
    run = _refresh()
    assert run.error_kind == "not_configured"
    assert run.api_calls == 1


def test_status_page__failure_banner_and_stale_mark(simulator, viewer_client):
    """After a failed refresh the page names the problem and marks the data stale."""
    client = viewer_client
    _refresh()
    simulator.state.set_faults(status=503)
    _refresh()
    html = client.get(reverse("connections:status")).content.decode()
    assert "Heroku Connect API server error" in html
    assert "stale" in html
    assert simulator.token not in html


def test_import__end_to_end_then_no_diff(simulator, django_user_model):
    """Queued -> uploading -> waiting -> done; the export then matches the code; audited."""
    user = django_user_model.objects.create_user("importer")
    _refresh()
    conn = Connection.objects.get()
    job = services.request_import(conn=conn, document=get_mapping(), user=user)
    assert job.diff_summary["added"] == len(get_mapping()["mappings"])
    delays: list[float] = []
    done = services.run_import(job.pk, client=services.make_client(), sleep=delays.append)
    assert done.state == ImportJob.State.DONE, done.reason
    assert done.polls >= 2  # saw IMPORT_CONFIGURATION at least once, then left it
    assert done.last_connection_state == "IDLE"
    deployed = DeployedMapping.objects.get(connection=conn).document
    from app.connections.diff import diff_mappings

    assert not diff_mappings(get_mapping(), deployed).has_changes
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "outcome"))
    assert actions == [
        ("connections.import_requested", "ok"),
        ("connections.import_mapping", "ok"),
    ]
    # A second run of the same (finished) job does nothing.
    assert services.run_import(job.pk, client=services.make_client()) is None


def test_import__timeout_fails_with_reason(simulator, settings):
    """An import still in IMPORT_CONFIGURATION after the overall timeout fails, audited."""
    simulator.importer.import_seconds = 1.0
    settings.CONNECTIONS_IMPORT_TIMEOUT_SECONDS = 0.2
    settings.CONNECTIONS_IMPORT_POLL_FIRST = 0.05
    _refresh()
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    done = services.run_import(job.pk, client=services.make_client())
    assert done.state == ImportJob.State.FAILED
    assert "Timed out" in done.reason
    assert AuditEntry.objects.filter(action="connections.import_mapping", outcome="error").exists()


def test_import__api_error_on_upload_fails_cleanly(simulator):
    """A 500 on upload fails the job with the API's message; a new import is allowed after."""
    _refresh()
    conn = Connection.objects.get()
    job = services.request_import(conn=conn, document=get_mapping(), user=None)
    simulator.state.set_faults(status=500)
    done = services.run_import(job.pk, client=services.make_client())
    assert done.state == ImportJob.State.FAILED
    assert "server error" in done.reason
    assert done.uploaded_at is None
    simulator.state.clear_faults()
    assert services.request_import(conn=conn, document=get_mapping(), user=None).is_active


def test_import__invalid_document_is_a_400_reason(simulator):
    """The simulator's validation message (400) ends up in the job's reason."""
    _refresh()
    document = get_mapping()
    document["mappings"][0]["config"]["access"] = "sideways"
    job = services.request_import(conn=Connection.objects.get(), document=document, user=None)
    done = services.run_import(job.pk, client=services.make_client())
    assert done.state == ImportJob.State.FAILED
    assert "400" in done.reason


def test_recovery__abandoned_job_is_resumed_without_re_upload(simulator, settings):
    """A job whose worker died after the upload is picked up by recovery and finished."""
    import datetime

    from django.utils import timezone

    _refresh()
    conn = Connection.objects.get()
    job = services.request_import(conn=conn, document=get_mapping(), user=None)
    simulator.import_mapping(get_mapping())  # the dead worker's upload had gone through
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.WAITING,
        started_at=timezone.now(),
        uploaded_at=long_ago,
        heartbeat_at=long_ago,
        attempt=1,
    )
    # A fresh job of another run is not touched; the stale one is re-enqueued once.
    enqueued: list[int] = []
    assert services.recover_imports(enqueue=enqueued.append) == {"requeued": 1, "failed": 0}
    assert enqueued == [job.pk]
    session = CountingSession()
    done = services.run_import(job.pk, client=HerokuConnectClient(session=session))
    assert done.state == ImportJob.State.DONE
    assert done.attempt == 2
    assert not any("actions/import" in c for c in session.calls)


@pytest.mark.parametrize("applied", [False, True], ids=["still-importing", "already-applied"])
def test_recovery__died_while_uploading_does_not_upload_twice(simulator, applied):
    """A run that died after the upload but before recording it: the next run asks the API
    (connection importing, or the document's mappings already deployed) and only waits."""
    import datetime

    from django.utils import timezone

    _refresh()
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    simulator.import_mapping(get_mapping())  # the upload went through, then the worker died
    if applied:
        simulator.wait_idle()
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.UPLOADING, upload_started_at=long_ago, heartbeat_at=long_ago
    )
    session = CountingSession()
    done = services.run_import(job.pk, client=HerokuConnectClient(session=session))
    assert done.state == ImportJob.State.DONE, done.reason
    assert not any("actions/import" in c for c in session.calls)
    assert done.upload_started_at == long_ago  # the dead run's record, not a new upload


def test_recovery__died_before_the_upload_left_uploads_exactly_once(simulator):
    """The "upload started" record exists, but the POST never reached the API: the next run
    finds the mappings missing and uploads, once."""
    import datetime

    from django.utils import timezone

    from heroku_connect.simulator.control import ControlClient

    _refresh()
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.UPLOADING, upload_started_at=long_ago, heartbeat_at=long_ago
    )
    control = ControlClient(simulator.base_url)
    control.reset_request_counts()
    done = services.run_import(job.pk, client=services.make_client())
    assert done.state == ImportJob.State.DONE, done.reason
    path = f"POST /api/v3/connections/{simulator.connection_id}/actions/import"
    assert control.request_counts()[path] == 1
    assert {m.object_name for m in simulator.state.mappings()} >= {"Account", "Contact"}


def test_recovery__job_past_the_timeout_fails_without_worker(simulator, settings):
    """Recovery fails a job that can no longer finish in time (never left active)."""
    import datetime

    from django.utils import timezone

    settings.CONNECTIONS_IMPORT_TIMEOUT_SECONDS = 60
    _refresh()
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert services.recover_imports(enqueue=lambda pk: None) == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "Abandoned" in job.reason


def test_claim__a_running_job_is_not_claimed_twice(simulator):
    """A duplicate delivery of the task leaves a heart-beating job to its worker."""
    _refresh()
    job = services.request_import(conn=Connection.objects.get(), document=get_mapping(), user=None)
    assert services.claim_job(job.pk) is not None
    assert services.claim_job(job.pk) is None


def test_mapping_diff_command__exit_codes(simulator):
    """1 while code and deployed differ, 0 once imported, 2 (CommandError) on API failure."""
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("mapping_diff", stdout=out, stderr=io.StringIO())
    assert exc.value.code == 1
    assert "Contact: added" in out.getvalue()
    _imported(simulator)
    out = io.StringIO()
    call_command("mapping_diff", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["differs"] is False
    assert payload["connection"] == simulator.connection_id
    simulator.state.set_faults(unauthorized=True)
    with pytest.raises(CommandError) as failure:
        call_command("mapping_diff", "--connection", simulator.connection_id)
    assert failure.value.returncode == 2
    assert "unauthorized" in str(failure.value)
    assert simulator.token not in str(failure.value)


def test_fetch_now__stores_export_and_required_fields(simulator, viewer_client):
    """The on-demand fetch stores the export and the org's required fields; failure = banner."""
    client = viewer_client
    _refresh()
    url = reverse("connections:fetch", args=[simulator.connection_id])
    response = client.post(url, follow=True)
    assert b"Fetched the deployed mapping" in response.content
    deployed = DeployedMapping.objects.get()
    assert deployed.required_fields_at is not None
    assert "Contact" in deployed.required_fields
    simulator.state.set_faults(status=502)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert b"Fetching the deployed mapping failed" in response.content
    assert b"502" in response.content


def test_fetch_now__one_time_budget_keeps_what_arrived(simulator, viewer_client, settings):
    """With a slow API, all of Fetch now's calls share one budget: it stops when the budget is
    spent, stores the export and the required fields fetched so far, and names the rest."""
    import time

    _refresh()
    settings.CONNECTIONS_FETCH_BUDGET_SECONDS = 1.5
    simulator.state.set_faults(latency=0.6)  # export 0.6 s + Account 0.6 s, then 0.3 s left
    started = time.monotonic()
    response = viewer_client.post(
        reverse("connections:fetch", args=[simulator.connection_id]), follow=True
    )
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 0.8, elapsed
    text = response.content.decode()
    assert "Fetched the deployed mapping, but not the fields Salesforce requires for " in text
    assert "Contact, Project__c" in text
    assert "time budget" in text
    deployed = DeployedMapping.objects.get()
    assert list(deployed.required_fields) == ["Account"]
    assert deployed.fetched_at > deployed.connection.fetched_at


def test_fetch_now__hanging_api_ends_within_the_budget(simulator, viewer_client, settings):
    """An API that never answers ends the fetch at the budget with a banner, not at 10 s per
    call; the stored copy stays as it was."""
    import time

    _refresh()
    before = DeployedMapping.objects.get()
    settings.CONNECTIONS_FETCH_BUDGET_SECONDS = 1.0
    simulator.state.set_faults(timeout=True, timeout_seconds=5)
    started = time.monotonic()
    response = viewer_client.post(
        reverse("connections:fetch", args=[simulator.connection_id]), follow=True
    )
    assert time.monotonic() - started < 2.0
    assert b"Fetching the deployed mapping failed" in response.content
    assert b"time budget" in response.content
    assert DeployedMapping.objects.get().fetched_at == before.fetched_at


def test_actions__pause_resume_and_reload_reach_the_api(simulator, boss_client):
    """Confirmed POSTs call the API (the simulator's state changes) and are audited."""
    client = boss_client
    _imported(simulator)
    _refresh()
    cid = simulator.connection_id
    confirm = client.get(reverse("connections:action", args=[cid, "pause"]))
    assert b"Yes, pause connection" in confirm.content
    client.post(reverse("connections:action", args=[cid, "pause"]))
    assert simulator.state.connection_state == "PAUSED"
    client.post(reverse("connections:action", args=[cid, "resume"]))
    assert simulator.state.connection_state != "PAUSED"
    contact = Mapping.objects.get(object_name="Contact")
    client.post(reverse("connections:mapping_action", args=[cid, contact.mapping_id, "reload"]))
    assert simulator.state.mapping(contact.mapping_id).state == "RELOAD_TABLE"
    assert list(AuditEntry.objects.order_by("id").values_list("action", "outcome")) == [
        ("connections.pause", "ok"),
        ("connections.resume", "ok"),
        ("connections.reload", "ok"),
    ]
    simulator.wait_idle()
    simulator.state.set_faults(status=500)
    response = client.post(reverse("connections:action", args=[cid, "restart"]), follow=True)
    assert b"Restart (recover) connection failed" in response.content
    assert AuditEntry.objects.order_by("id").last().outcome == "error"


def test_mapping_diff__reports_the_demo_drift(simulator):
    """Against the demo's drifted deployment, mapping_diff exits 1 and names each difference."""
    deployed = drifted_demo_mapping(get_mapping())
    HerokuConnectClient().import_mapping(simulator.connection_id, deployed)
    simulator.wait_idle()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("mapping_diff", stdout=out, stderr=io.StringIO())
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "0 added, 1 removed, 2 changed" in text
    assert "polling interval (s): 1200 -> 600" in text


def test_actions__acknowledge_seen_notifications(simulator, boss_client):
    """Acknowledging sends the API call for what was fetched; newer ones stay open."""
    simulator.state.add_notification("mapping-error", "seen before the refresh")
    _refresh()
    simulator.state.add_notification("mapping-error", "arrived after the refresh")
    url = reverse("connections:action", args=[simulator.connection_id, "acknowledge"])
    assert b"Acknowledge the unacknowledged" in boss_client.get(url).content
    boss_client.post(url)
    open_messages = [n.message for n in simulator.state.matching_notifications()]
    assert open_messages == ["arrived after the refresh"]
    assert not Notification.objects.filter(acknowledged=False).exists()
    entry = AuditEntry.objects.get(action="connections.acknowledge")
    assert (entry.outcome, entry.row_count) == ("ok", 1)


def test_actions__hanging_api_answers_with_a_banner_within_the_web_timeout(
    simulator, boss_client, settings
):
    """A browser request is cut by the short web timeout, not the client's 30 s default."""
    import time

    settings.CONNECTIONS_WEB_API_TIMEOUT_SECONDS = 0.5
    _refresh()
    cid = simulator.connection_id
    simulator.state.set_faults(timeout=True, timeout_seconds=5)
    started = time.monotonic()
    response = boss_client.post(reverse("connections:action", args=[cid, "pause"]), follow=True)
    fetch = boss_client.post(reverse("connections:fetch", args=[cid]), follow=True)
    assert time.monotonic() - started < 4
    assert b"Pause connection failed" in response.content
    assert b"Fetching the deployed mapping failed" in fetch.content


def test_refresh__a_connection_no_longer_listed_leaves_the_pages(simulator, viewer_client, viewer):
    """A deleted / re-created connection kept showing its last 'IDLE, Healthy' state forever,
    and the mapping diff defaulted to it (the demo re-creates its connection on every start)."""
    from tests.app.connections.factories import stored_connection

    gone = stored_connection(connection_id="0ld0ld00-0000-4000-8000-000000000000")
    run = _refresh()
    assert run.ok, run.error_message
    gone.refresh_from_db()
    assert gone.removed_at is not None
    assert Connection.objects.get(connection_id=simulator.connection_id).removed_at is None
    status = viewer_client.get(reverse("connections:status")).content.decode()
    assert simulator.connection_id in status
    assert gone.connection_id not in status
    diff = viewer_client.get(reverse("connections:diff")).content.decode()
    assert gone.connection_id not in diff
    assert simulator.connection_id in diff
    detail = viewer_client.get(reverse("connections:connection", args=[gone.connection_id]))
    assert b'data-testid="connection-removed"' in detail.content
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="dashboard", codename="manage_mappings")
    )
    detail = viewer_client.get(reverse("connections:connection", args=[gone.connection_id]))
    assert b"Reload" not in detail.content  # no actions on a connection Connect does not list
    assert b"Pause" not in detail.content
    # Listed again (e.g. a transient API inconsistency): back on the pages.
    stored_connection(connection_id=gone.connection_id)
    gone.refresh_from_db()
    assert gone.removed_at is None
