"""Every read page runs a number of SQL queries that does not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from app.dashboard import errors, stats
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log

pytestmark = pytest.mark.django_db

LOCK = "unable to obtain exclusive access to this record or 1 records: 0033000000AbC{:04d}"
MESSAGES = (LOCK, "Email: invalid email address: u{}@@x", "entity is deleted {}")


def _add(count: int, offset: int) -> None:
    for index in range(offset, offset + count):
        message = MESSAGES[index % len(MESSAGES)].format(index)
        table = ("contact", "account", "project__c")[index % 3]
        make_log(table_name=table, sf_message=message, record_id=index)
        make_log(model=TriggerLogArchive, table_name=table, sf_message=message, record_id=index)
        make_log(table_name=table, state="NEW", record_id=index)
    stats.refresh_stats()


def _urls() -> list[str]:
    cause = errors.classify(LOCK.format(0))
    key = errors.group_key("contact", cause.code, cause.normalised_message)
    first = TriggerLog.objects.filter(table_name="account").order_by("id").first()
    detail = reverse("dashboard:detail", args=["live", first.id])
    return [
        reverse("dashboard:overview"),
        reverse("dashboard:overview") + "?range=30d",
        reverse("dashboard:groups"),
        reverse("dashboard:failures"),
        reverse("dashboard:failures") + f"?group={key}&source=both",
        reverse("dashboard:failures") + "?table=contact&q=access&source=archive",
        reverse("dashboard:api_overview"),
        reverse("dashboard:api_error_groups"),
        detail,
    ]


def _counts(client) -> dict[str, int]:
    counts = {}
    for url in _urls():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(captured.captured_queries)
    return counts


def test_query_counts__constant_as_data_grows(
    viewer_client, settings, django_assert_max_num_queries
):
    """Ten times the rows (more tables, groups and pages of failures): the same query counts."""
    settings.DASHBOARD_PAGE_SIZE = 10
    _add(6, 0)
    small = _counts(viewer_client)
    _add(60, 6)
    large = _counts(viewer_client)
    assert large == small
    for url in _urls():
        with django_assert_max_num_queries(12):
            viewer_client.get(url)
