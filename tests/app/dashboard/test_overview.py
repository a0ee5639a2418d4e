"""Overview and error groups from real trigger-log rows and our summary tables."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from app.dashboard import charts, errors, selectors, stats
from app.dashboard.models import ErrorGroupStat, FailureRateBucket
from heroku_connect.models import TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log

pytestmark = pytest.mark.django_db

LOCK = "unable to obtain exclusive access to this record or 1 records: 0033000000AbCdE{}"
EMAIL = "Email: invalid email address: user{}@@example"


def _seed() -> dict[str, object]:
    now = timezone.now()
    rows = {
        "oldest_new": make_log(
            state="NEW", table_name="contact", created_at=now - datetime.timedelta(hours=5)
        ),
        "pending": make_log(
            state="PENDING", table_name="contact", created_at=now - datetime.timedelta(hours=1)
        ),
        "new_account": make_log(state="NEW", table_name="account"),
    }
    for index in range(3):
        make_log(table_name="contact", sf_message=LOCK.format(f"{index:03d}"))
    make_log(table_name="account", sf_message=EMAIL.format(1))
    for index in range(2):
        make_log(
            model=TriggerLogArchive, table_name="contact", sf_message=LOCK.format(f"9{index:02d}")
        )
    make_log(model=TriggerLogArchive, table_name="contact", state="SUCCESS", sf_message=None)
    make_log(state="SUCCESS", table_name="contact", sf_message=None)
    return rows


def test_state_counts__per_table_and_total():
    """FAILED / PENDING / NEW per table from the live log, archived FAILED from the summary."""
    _seed()
    assert selectors.state_counts()[1].archived_failed == 0  # no statistics yet
    stats.refresh_stats()
    tables, total = selectors.state_counts()
    by_name = {t.table_name: t for t in tables}
    assert (by_name["contact"].failed, by_name["contact"].archived_failed) == (3, 2)
    assert (by_name["contact"].pending, by_name["contact"].new) == (1, 1)
    assert (by_name["account"].failed, by_name["account"].new) == (1, 1)
    assert (total.failed, total.archived_failed, total.pending, total.new) == (4, 2, 1, 2)
    assert [t.table_name for t in tables] == ["contact", "account"]  # most failures first


def test_oldest_waiting__age_of_oldest_new_or_pending():
    """The oldest NEW/PENDING row's capture time is reported."""
    rows = _seed()
    assert selectors.oldest_waiting_at() == rows["oldest_new"].created_at


def test_refresh_stats__groups_across_live_and_archive():
    """Failures are grouped by (table, code, normalised message) across both tables."""
    _seed()
    run = stats.refresh_stats()
    assert (run.groups, run.failed_rows) == (2, 6)
    lock = ErrorGroupStat.objects.get(code="UNABLE_TO_LOCK_ROW")
    assert (lock.table_name, lock.live_count, lock.archive_count, lock.total) == (
        "contact",
        3,
        2,
        5,
    )
    assert lock.normalised_message == "unable to obtain exclusive access to this record"
    assert lock.key == errors.group_key("contact", lock.code, lock.normalised_message)
    assert {source for source, _pk in lock.samples} == {"live", "archive"}
    assert lock.first_seen <= lock.last_seen
    email = ErrorGroupStat.objects.get(code="INVALID_EMAIL_ADDRESS")
    assert (email.table_name, email.total) == ("account", 1)
    assert "Fix the data" in email.hint


def test_refresh_stats__rebuilds_and_counts_rate_buckets():
    """A second refresh replaces the summaries; buckets count processed and failed per hour."""
    _seed()
    stats.refresh_stats()
    make_log(table_name="project__c", sf_message="entity is deleted")
    stats.refresh_stats()
    assert ErrorGroupStat.objects.count() == 3
    assert sum(FailureRateBucket.objects.values_list("failed", flat=True)) == 7
    # processed = SUCCESS + FAILED rows (NEW/PENDING are not processed yet)
    assert sum(FailureRateBucket.objects.values_list("processed", flat=True)) == 9


def test_chart__buckets_for_each_range():
    """Each range has a fixed number of bars, summing what the summary holds."""
    _seed()
    stats.refresh_stats()
    for name, count in (("24h", 24), ("7d", 28), ("30d", 30)):
        chart = charts.error_rate_chart(name)
        assert len(chart.bars) == count
        assert chart.total_failed == 6
        assert all(0 <= bar.failed_height <= bar.processed_height for bar in chart.bars)


def test_overview_page__counts_chart_and_top_groups(viewer_client):
    """The page shows the counts, an inline SVG chart and the top groups with links."""
    _seed()
    stats.refresh_stats()
    response = viewer_client.get(reverse("dashboard:overview") + "?range=7d")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    assert 'class="bar-failed"' in body
    assert "times in UTC" in body  # the axis labels and bar tooltips name no zone themselves
    assert re.search(r"<title>\d{4}-\d\d-\d\d \d\d:\d\d UTC: ", body)
    assert "UNABLE_TO_LOCK_ROW" in body
    assert "group=UNABLE_TO_LOCK_ROW." in body
    overview = response.context["overview"]
    assert overview.total.failed == 4
    assert overview.oldest_waiting_age >= datetime.timedelta(hours=5)


def test_overview_page__bad_range_is_400(viewer_client):
    """An unknown chart range answers 400."""
    assert viewer_client.get(reverse("dashboard:overview") + "?range=1y").status_code == 400


def test_groups_page__lists_groups_with_hints_and_links(viewer_client, operator, client):
    """Each group has counts, a remediation hint, samples and a filtered-list link."""
    _seed()
    stats.refresh_stats()
    response = viewer_client.get(reverse("dashboard:groups"))
    assert response.status_code == 200
    body = response.content.decode()
    lock = ErrorGroupStat.objects.get(code="UNABLE_TO_LOCK_ROW")
    assert f"group={lock.key}" in body
    assert "Transient" in body  # the UNABLE_TO_LOCK_ROW hint
    response = viewer_client.get(reverse("dashboard:groups") + "?table=account")
    assert [g.table_name for g in response.context["data"].groups] == ["account"]
    assert viewer_client.get(reverse("dashboard:groups") + "?table=a;b").status_code == 400


def test_groups_page__group_link_lists_exactly_the_group(viewer_client):
    """Following a group's link lists its live and archived failures."""
    _seed()
    stats.refresh_stats()
    lock = ErrorGroupStat.objects.get(code="UNABLE_TO_LOCK_ROW")
    response = viewer_client.get(reverse("dashboard:failures"), {"group": lock.key})
    assert len(response.context["page"].items) == lock.total


def test_refresh_view__post_only_and_rebuilds(viewer_client):
    """Refreshing is a POST (CSRF-protected) that rebuilds the summaries."""
    _seed()
    assert viewer_client.get(reverse("dashboard:refresh_stats")).status_code == 405
    response = viewer_client.post(reverse("dashboard:refresh_stats"), follow=True)
    assert response.status_code == 200
    assert ErrorGroupStat.objects.count() == 2
    assert "Statistics refreshed" in response.content.decode()


def test_overview_page__first_visit_builds_the_statistics(viewer_client):
    """On a fresh install (no statistics yet) the first visit computes them."""
    _seed()
    response = viewer_client.get(reverse("dashboard:overview"))
    assert response.status_code == 200
    assert ErrorGroupStat.objects.count() == 2
    assert response.context["overview"].stats_refreshed_at is not None


@pytest.mark.django_db(transaction=True)
def test_refresh_stats__skipped_while_another_refresh_runs():
    """Two refreshes never run at once: the second one returns None and changes nothing."""
    import psycopg
    from django.db import connection

    from heroku_connect.test.simulator import dsn_from_settings_dict

    make_log(table_name="contact", sf_message="entity is deleted")
    with psycopg.connect(dsn_from_settings_dict(connection.settings_dict)) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [stats._LOCK_KEY])
        assert stats.refresh_stats() is None
        assert not ErrorGroupStat.objects.exists()
        # Released here: a closed session's locks go only when its server process has ended.
        other.execute("SELECT pg_advisory_unlock(%s)", [stats._LOCK_KEY])
    assert stats.refresh_stats().groups == 1
