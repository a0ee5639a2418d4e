"""Large retries / ignores from the pages: confirmation -> background job -> progress, cancel."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import reverse

from app.audit.models import AuditEntry
from app.celery import app as celery_app
from app.dashboard.models import BulkActionJob
from heroku_connect.models import TriggerLogArchive
from tests.app.dashboard.confirming import confirm, confirmation_token
from tests.app.dashboard.connect_api import serve_connections, unreachable_api
from tests.app.dashboard.operators import make_operator
from tests.heroku_connect.trigger_log.factories import make_log, states
from tests.url_catalog import IGNORE, RETRY, VIEW, make_user

State = BulkActionJob.State
SELECTION = {"table": "account", "source": "both"}


@pytest.fixture(autouse=True)
def _jobs_from_three_rows(settings):
    settings.DASHBOARD_BULK_JOB_THRESHOLD = 3
    settings.DASHBOARD_BULK_BATCH_SIZE = 2


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def _job_url(job: BulkActionJob) -> str:
    return reverse("dashboard:bulk_job", args=[job.pk])


@pytest.mark.django_db
def test_confirm__a_large_selection_says_it_runs_as_a_job(operator_client):
    for _ in range(3):
        make_log()
    response = operator_client.get(reverse("dashboard:ignore_confirm"), SELECTION)
    html = response.content.decode()
    assert 'id="runs-as-job"' in html
    assert "batches of 2 rows" in html
    assert "Start a background job: ignore 3 writes" in html
    make_log()  # below the threshold the page says nothing about jobs
    small = operator_client.get(reverse("dashboard:ignore_confirm"), {"ids": "live:1"})
    assert 'id="runs-as-job"' not in small.content.decode()


@pytest.mark.django_db
def test_perform__starts_one_job_and_shows_its_progress(
    operator_client, operator, django_capture_on_commit_callbacks
):
    """The confirmed POST creates a queued job (enqueued after commit), audited as started;
    posting the same confirmation again leads to the same job; nothing changed yet."""
    logs = [make_log() for _ in range(3)]
    token = confirm(operator_client, "ignore", SELECTION)
    with django_capture_on_commit_callbacks() as callbacks:
        response = operator_client.post(reverse("dashboard:ignore"), {"confirmation": token})
    job = BulkActionJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _job_url(job)
    assert (job.state, job.confirmed_count, job.requested_by) == (State.QUEUED, 3, operator)
    assert len(callbacks) == 1
    assert {states()[log.pk] for log in logs} == {"FAILED"}
    assert AuditEntry.objects.get().action == "ignore-job.started"
    again = operator_client.post(reverse("dashboard:ignore"), {"confirmation": token})
    assert again["Location"] == _job_url(job)
    assert BulkActionJob.objects.count() == 1

    listing = operator_client.get(reverse("dashboard:failures")).content.decode()
    assert f'href="{_job_url(job)}">Ignore job #{job.pk}</a> is queued' in listing
    page = operator_client.get(_job_url(job))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<span data-testid="job-done">0</span> of 3 confirmed writes changed' in html
    assert 'data-poll-url="' in html
    assert 'id="cancel-job"' in html
    partial = operator_client.get(_job_url(job), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith("<section")


@pytest.mark.django_db
def test_perform__a_grown_selection_asks_again_instead_of_starting(operator_client):
    for _ in range(3):
        make_log()
    token = confirm(operator_client, "ignore", SELECTION)
    make_log(model=TriggerLogArchive)
    response = operator_client.post(reverse("dashboard:ignore"), {"confirmation": token})
    assert response.status_code == 409
    assert "more than the 3 you confirmed" in response.content.decode()
    assert not BulkActionJob.objects.exists()
    confirmation_token(response)  # asks again with a new confirmation


@pytest.mark.django_db
def test_perform__a_retry_job_needs_the_write_algorithm(operator_client):
    """No API: 503 with the choice, no job; choosing merged writes starts the job with it."""
    for _ in range(3):
        make_log()
    with unreachable_api():
        token = confirm(operator_client, "retry", SELECTION)
        response = operator_client.post(reverse("dashboard:retry"), {"confirmation": token})
        assert response.status_code == 503
        assert not BulkActionJob.objects.exists()
        chosen = operator_client.post(
            reverse("dashboard:retry"), {"confirmation": token, "write_algorithm": "merged"}
        )
    assert chosen.status_code == 302
    job = BulkActionJob.objects.get()
    assert (job.write_algorithm, job.algorithm_chosen) == ("MERGE_WRITES", True)
    with serve_connections() as api:
        api.ordered = [True]
        token = confirm(operator_client, "retry", {**SELECTION, "source": "live"})
        operator_client.post(reverse("dashboard:retry"), {"confirmation": token})
    assert BulkActionJob.objects.latest("pk").write_algorithm == "ORDERED_WRITES"


@pytest.mark.django_db
def test_cancel__needs_the_permission_of_the_jobs_action(client):
    """Viewers and retry-only operators may watch an ignore job but not cancel it."""
    for _ in range(3):
        make_log()
    owner = Client()
    owner.force_login(make_user("owner", (VIEW, IGNORE)))
    owner.post(reverse("dashboard:ignore"), {"confirmation": confirm(owner, "ignore", SELECTION)})
    job = BulkActionJob.objects.get()
    cancel = reverse("dashboard:bulk_job_cancel", args=[job.pk])
    for username, permissions in (("viewer", (VIEW,)), ("retrier", (VIEW, RETRY))):
        client.force_login(make_user(username, permissions))
        page = client.get(_job_url(job)).content.decode()
        assert 'id="cancel-job"' not in page
        assert client.post(cancel).status_code == 403
    assert BulkActionJob.objects.get().cancel_requested_at is None
    response = owner.post(cancel)
    assert response["Location"] == _job_url(job)
    job.refresh_from_db()
    assert job.state == State.CANCELLED  # it had not started: nothing changed
    assert owner.get(_job_url(job), HTTP_HX_REQUEST="true").status_code == 286


@pytest.mark.django_db
def test_job_pages__unknown_job_is_404(operator_client):
    assert operator_client.get(reverse("dashboard:bulk_job", args=[999])).status_code == 404
    cancel = reverse("dashboard:bulk_job_cancel", args=[999])
    assert operator_client.post(cancel).status_code == 404


@pytest.fixture
def celery_worker():
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.django_db(transaction=True)
def test_worker__runs_the_job_to_the_end(celery_worker, settings):
    """On a real worker: the job runs in batches (slices re-enqueued), the page stops polling."""
    settings.DASHBOARD_BULK_SLICE_SECONDS = 0  # one batch per task run: re-enqueued each time
    logs = [make_log() for _ in range(5)]
    client = Client()
    client.force_login(make_operator("olivia"))
    token = confirm(client, "ignore", SELECTION)
    client.post(reverse("dashboard:ignore"), {"confirmation": token})
    job = BulkActionJob.objects.get()
    deadline = time.monotonic() + 20
    while BulkActionJob.objects.get(pk=job.pk).is_active and time.monotonic() < deadline:
        time.sleep(0.1)
    job.refresh_from_db()
    assert (job.state, job.done, job.batches) == (State.DONE, 5, 3)
    assert {states()[log.pk] for log in logs} == {"IGNORED"}
    assert client.get(_job_url(job), HTTP_HX_REQUEST="true").status_code == 286
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "ignore-job.started",
        "ignore-job.finished",
    ]
