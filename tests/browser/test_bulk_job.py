"""A large retry / ignore in a real browser: it runs as a background job whose page follows the
progress by itself (polling) and can cancel it."""

from __future__ import annotations

import pytest

from app.dashboard import bulk
from app.dashboard.models import BulkActionJob
from tests.app.dashboard.operators import make_operator
from tests.heroku_connect.trigger_log.factories import make_log, states


@pytest.fixture
def operator_page(page, live_server, login, transactional_db, settings):
    settings.DASHBOARD_BULK_JOB_THRESHOLD = 3
    settings.DASHBOARD_BULK_BATCH_SIZE = 2
    make_operator("olivia", password="pw-olivia-1")
    page.set_default_timeout(10_000)
    login("olivia", "pw-olivia-1")
    return page


def _start_ignore_job(page, live_server) -> BulkActionJob:
    page.goto(f"{live_server.url}/actions/ignore/confirm/?table=account&source=live")
    assert page.locator("#runs-as-job").is_visible()
    page.locator("#confirm-button").click()
    page.wait_for_load_state()
    job = BulkActionJob.objects.get()
    assert page.url == f"{live_server.url}/actions/jobs/{job.pk}/"
    assert page.get_by_test_id("job-state").inner_text() == "Queued"
    return job


@pytest.mark.django_db(transaction=True)
def test_bulk_job__the_page_follows_the_job_to_its_end(operator_page, live_server):
    """The worker runs the job meanwhile; the page shows Done without a reload."""
    logs = [make_log() for _ in range(5)]
    job = _start_ignore_job(operator_page, live_server)
    bulk.run_to_end(job.pk)
    operator_page.get_by_test_id("job-state").filter(has_text="Done").wait_for()
    assert operator_page.get_by_test_id("job-done").inner_text() == "5"
    assert operator_page.locator("#cancel-job").count() == 0
    assert {states()[log.pk] for log in logs} == {"IGNORED"}


@pytest.mark.django_db(transaction=True)
def test_bulk_job__cancel_from_the_page(operator_page, live_server):
    """Cancel before the worker picked it up: cancelled, nothing changed."""
    logs = [make_log() for _ in range(4)]
    job = _start_ignore_job(operator_page, live_server)
    operator_page.locator("#cancel-job").click()
    operator_page.wait_for_load_state()
    assert operator_page.get_by_test_id("job-state").inner_text() == "Cancelled"
    assert BulkActionJob.objects.get(pk=job.pk).state == "cancelled"
    assert {states()[log.pk] for log in logs} == {"FAILED"}
