"""The audit list page and its CSV export."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from app.audit import views
from app.audit.models import AuditEntry
from app.audit.services import record_action

LIST = reverse("audit:list")
EXPORT = reverse("audit:export")


def _member(username: str, *groups: str) -> User:
    user = User.objects.create_user(username)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def operator_client(client, db):
    client.force_login(_member("olivia", "Operators"))
    return client


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_list__requires_login(client):
    """Anonymous users are sent to the login page."""
    for url in (LIST, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_list__without_the_permission_is_403(client):
    """A logged-in user outside the groups gets 403 on the page and the export."""
    client.force_login(_member("nobody"))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


@pytest.mark.django_db
def test_list__shows_entries_newest_first(operator_client):
    """Operators see who did what, how many rows and the outcome."""
    record_action(user=None, action="autoretry", target="older-entry", row_count=0)
    record_action(
        user=User.objects.get(username="olivia"),
        action="retry",
        target="UNABLE_TO_LOCK_ROW on contact",
        row_count=1234,
    )
    response = operator_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("UNABLE_TO_LOCK_ROW on contact") < html.index("older-entry")
    assert "1,234" in html
    assert "system" in html


@pytest.mark.django_db
def test_list__filters_by_user_action_outcome_and_date(operator_client):
    """Each filter narrows the list."""
    olivia = User.objects.get(username="olivia")
    record_action(user=olivia, action="retry", target="target-retry")
    record_action(user=olivia, action="ignore", target="target-ignore", outcome="error")
    old = record_action(user=None, action="retry", target="target-old")
    AuditEntry.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )

    def targets(**params) -> set[str]:
        html = operator_client.get(LIST, params).content.decode()
        return {t for t in ("target-retry", "target-ignore", "target-old") if t in html}

    assert targets() == {"target-retry", "target-ignore", "target-old"}
    assert targets(user="olivia") == {"target-retry", "target-ignore"}
    assert targets(action="retry") == {"target-retry", "target-old"}
    assert targets(outcome="error") == {"target-ignore"}
    today = timezone.now().date()
    assert targets(since=str(today - datetime.timedelta(days=1))) == {
        "target-retry",
        "target-ignore",
    }
    assert targets(until=str(today - datetime.timedelta(days=5))) == {"target-old"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"outcome": "sideways"},
        {"before": "-3"},
        {"before": "1 OR 1=1"},
        {"since": "2026-02-02", "until": "2026-01-01"},
    ],
)
def test_list__bad_filters_are_a_400_with_a_message(operator_client, params):
    """Tampered filters answer 400 with a banner, on the page and the export."""
    response = operator_client.get(LIST, params)
    assert response.status_code == 400
    assert "Invalid filter" in response.content.decode()
    assert operator_client.get(EXPORT, params).status_code == 400


@pytest.mark.django_db
def test_list__keyset_pagination(operator_client, monkeypatch):
    """Older pages follow the ``before`` cursor; no entry is shown twice or skipped."""
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for n in range(7):
        record_action(user=None, action="retry", target=f"entry-{n:02d}")
    seen: list[str] = []
    url = LIST
    for _ in range(5):
        response = operator_client.get(url)
        entries = response.context["entries"]
        seen += [entry.target for entry in entries]
        if not response.context["next_query"]:
            break
        url = f"{LIST}?{response.context['next_query']}"
    assert seen == [f"entry-{n:02d}" for n in reversed(range(7))]


@pytest.mark.django_db
def test_export__streams_filtered_csv_with_escaping(operator_client):
    """The export is streaming CSV of the filtered entries, quoting commas, quotes and newlines."""
    record_action(user=None, action="ignore", target="other")
    record_action(
        user=User.objects.get(username="olivia"),
        action="retry",
        target='contact, "quoted"\nsecond line',
        selection={"table": "contact"},
        row_count=5,
        detail="live: 5, archived: 0",
    )
    response = operator_client.get(EXPORT, {"action": "retry"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv(response)
    assert rows[0] == list(views.CSV_COLUMNS)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["target"] == 'contact, "quoted"\nsecond line'
    assert row["username"] == "olivia"
    assert row["selection"] == '{"table": "contact"}'
    assert row["row_count"] == "5"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_export__formula_injection_is_neutralised(operator_client, payload):
    """Cells that a spreadsheet would run as a formula start with an apostrophe."""
    record_action(user=None, action="retry", target=payload, detail=payload)
    rows = _csv(operator_client.get(EXPORT))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["target"] == "'" + payload
    assert row["detail"] == "'" + payload
    assert row["row_count"] == "0"


@pytest.mark.django_db
def test_export__only_get():
    """POST is not allowed on the list or the export."""
    from django.test import Client

    client = Client()
    client.force_login(_member("admin-user", "Administrators"))
    assert client.post(LIST).status_code == 405
    assert client.post(EXPORT).status_code == 405
