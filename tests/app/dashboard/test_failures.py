"""The failure list: filters, keyset pagination and bad input (400, nothing else)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from app.dashboard import errors, filters
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log

pytestmark = pytest.mark.django_db

LOCK = "unable to obtain exclusive access to this record or 1 records: 0033000000AbCdEAAA"
DELETED = "entity is deleted"
ROW = re.compile(r'name="ids" value="(live|archive):(\d+)"')


def _ids(response) -> list[tuple[str, int]]:
    return [(source, int(pk)) for source, pk in ROW.findall(response.content.decode())]


def _next(response) -> str | None:
    match = re.search(r'rel="next" href="\?([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def test_pagination__walks_live_and_archive_without_duplicates_or_gaps(viewer_client, settings):
    """Following "Older" through every page yields each matching row exactly once, newest first."""
    settings.DASHBOARD_PAGE_SIZE = 4
    expected = []
    for index in range(7):
        expected.append(("live", make_log(sf_message=LOCK, record_id=index).id))
        expected.append(("archive", make_log(model=TriggerLogArchive, sf_message=LOCK).id))
    make_log(state="SUCCESS")  # not FAILED: never listed by default
    expected.sort(key=lambda row: (-row[1], row[0]))
    seen: list[tuple[str, int]] = []
    url = reverse("dashboard:failures") + "?source=both"
    for _page in range(10):
        response = viewer_client.get(url)
        assert response.status_code == 200
        seen += _ids(response)
        query = _next(response)
        if query is None:
            break
        url = reverse("dashboard:failures") + "?" + query
    assert seen == expected


def test_pagination__same_id_in_both_tables_listed_once_each(viewer_client, settings):
    """A row id present live and archived (mid-archiving) appears once per source."""
    settings.DASHBOARD_PAGE_SIZE = 1
    live = make_log()
    make_log(model=TriggerLogArchive, id=live.id)
    response = viewer_client.get(reverse("dashboard:failures"))
    first = _ids(response)
    second = _ids(viewer_client.get(reverse("dashboard:failures") + "?" + _next(response)))
    assert first + second == [("archive", live.id), ("live", live.id)]


def test_pagination__tampered_cursor_is_400(viewer_client):
    """A cursor that was not signed by us is refused."""
    make_log()
    response = viewer_client.get(reverse("dashboard:failures") + "?cursor=WzEsImxpdmUiXQ:bad:sig")
    assert response.status_code == 400
    assert b"Invalid page cursor" in response.content


@pytest.mark.parametrize(
    "query",
    [
        "source=elsewhere",
        "state=BROKEN",
        "action=MERGE",
        "table=contact;drop",
        "since=yesterday",
        "since=2026-01-02T00:00&until=2026-01-01T00:00",
        "group=UNABLE_TO_LOCK_ROW.bm9wZQ",
        "q=" + "x" * 201,
    ],
)
def test_filters__bad_input_is_400(viewer_client, query):
    """Every invalid filter answers 400 with the form's message, never a traceback."""
    response = viewer_client.get(reverse("dashboard:failures") + "?" + query)
    assert response.status_code == 400
    assert b"The filter is invalid" in response.content


def _key_with(message: str, table: str = "account") -> str:
    """A well-formed group key whose decoded message is ``message`` (code matching it)."""
    return errors.group_key(table, errors.code_of_normalised(message), message)


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_filters__control_characters_in_a_decoded_group_key_are_400(operator, client, character):
    """A group key that decodes to a control character is refused by the filter form, on the
    list and on both confirmation pages, before anything reaches the database."""
    key = _key_with(f"entity is deleted{character}x")
    client.force_login(operator)
    for name in ("dashboard:failures", "dashboard:retry_confirm", "dashboard:ignore_confirm"):
        response = client.get(reverse(name), {"group": key, "source": "both"})
        assert response.status_code == 400, name
        assert b"Control characters" in response.content, name
    form = filters.FailureFilterForm({"group": key})
    assert not form.is_valid()
    assert "group" in form.errors


@pytest.mark.parametrize("field", ["q", "table"])
def test_filters__control_characters_in_text_filters_are_400(viewer_client, field):
    """Search and table filters with control characters are a 400 too."""
    response = viewer_client.get(reverse("dashboard:failures"), {field: "contact\x01"})
    assert response.status_code == 400


def test_filters__table_action_state_source_dates_search(viewer_client):
    """Each filter narrows the list as documented."""
    now = timezone.now()
    old = make_log(table_name="contact", created_at=now - datetime.timedelta(days=3))
    new_contact = make_log(table_name="contact", action="INSERT", sf_id="0033000000AbCdEAAA")
    account = make_log(table_name="account", sf_message=DELETED, record_id=4242)
    archived = make_log(model=TriggerLogArchive, table_name="contact")
    pending = make_log(table_name="contact", state="PENDING")

    def listed(query: str) -> set[int]:
        response = viewer_client.get(reverse("dashboard:failures") + "?" + query)
        assert response.status_code == 200
        return {pk for _source, pk in _ids(response)}

    assert listed("table=contact") == {old.id, new_contact.id, archived.id}
    assert listed("table=contact&source=live") == {old.id, new_contact.id}
    assert listed("table=contact&source=archive") == {archived.id}
    assert listed("action=INSERT") == {new_contact.id}
    assert listed("state=PENDING") == {pending.id}
    assert pending.id in listed("state=any")
    since = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert old.id not in listed(f"since={since}")
    assert listed(f"until={since}") == {old.id}
    assert listed("q=entity+is") == {account.id}
    assert listed("q=4242") == {account.id}
    assert listed("q=0033000000AbCdEAAA") == {new_contact.id}


def test_filters__group_selects_its_messages_across_live_and_archive(viewer_client):
    """The group filter matches every message of the group (other values), on its table only."""
    first = make_log(table_name="contact", sf_message=LOCK)
    other_ids = LOCK.replace("1 records: 0033000000AbCdEAAA", "2 records: 0033000000AbCdEAAB,x")
    second = make_log(model=TriggerLogArchive, table_name="contact", sf_message=other_ids)
    make_log(table_name="account", sf_message=LOCK)
    make_log(table_name="contact", sf_message=DELETED)
    cause = errors.classify(LOCK)
    key = errors.group_key("contact", cause.code, cause.normalised_message)
    response = viewer_client.get(reverse("dashboard:failures"), {"group": key})
    assert sorted(pk for _s, pk in _ids(response)) == sorted([first.id, second.id])


def test_selection__describe_and_params_round_trip():
    """The selection describes itself and re-creates itself from its params."""
    make_log(table_name="contact", sf_message=LOCK)
    cause = errors.classify(LOCK)
    key = errors.group_key("contact", cause.code, cause.normalised_message)
    selection = filters.selection_from_params({"group": key})
    assert selection.describe() == (
        "UNABLE_TO_LOCK_ROW (unable to obtain exclusive access to this record) on contact, "
        "live and archived"
    )
    again = filters.selection_from_params(selection.as_params())
    assert (
        again.as_params()
        == selection.as_params()
        == {
            "source": "both",
            "state": "FAILED",
            "group": key,
        }
    )
    assert again.live.count() == 1
    assert again.archive.count() == 0


def test_selection__invalid_params_raise():
    """Invalid params raise InvalidFilter (a ValueError) naming the field."""
    with pytest.raises(filters.InvalidFilter, match="source"):
        filters.selection_from_params({"source": "nowhere"})


def test_selection__usable_by_the_state_transitions():
    """The group-filtered queryset works inside the library's set-based ignore."""
    from heroku_connect import trigger_log

    row = make_log(table_name="contact", sf_message=LOCK)
    make_log(table_name="contact", sf_message=DELETED)
    cause = errors.classify(LOCK)
    key = errors.group_key("contact", cause.code, cause.normalised_message)
    selection = filters.selection_from_params({"group": key, "source": "live"})
    assert trigger_log.ignore_failed(selection.live) == 1
    assert TriggerLog.objects.get(pk=row.pk).state == "IGNORED"


def test_selection_form__posts_to_the_confirmation(client, operator):
    """The list's checkboxes reach the retry confirmation; nothing checked is a 400."""
    row = make_log(sf_message=LOCK)
    client.force_login(operator)
    page = client.get(reverse("dashboard:failures")).content.decode()
    assert f'value="live:{row.id}"' in page
    assert reverse("dashboard:retry_confirm") in page
    url = reverse("dashboard:retry_confirm")
    confirm = client.post(url, {"scope": "ids", "ids": [f"live:{row.id}"], "next": "/failures/"})
    assert confirm.status_code == 200
    assert client.post(url, {"scope": "ids", "next": "/failures/"}).status_code == 400
    assert TriggerLog.objects.get(pk=row.pk).state == "FAILED"


def test_group_filter__exact_for_every_template():
    """For each catalogue template (and LIKE metacharacters), the group selects exactly its rows."""
    from tests.app.dashboard.test_errors import TEMPLATES

    messages = [m for m, _c, _n in TEMPLATES if m] + [
        "50% of Field_x__c failed",
        "50x of Fieldyx__c",
    ]
    rows = {make_log(table_name="contact", sf_message=m).id: m for m in messages}
    for message in messages:
        cause = errors.classify(message)
        key = errors.group_key("contact", cause.code, cause.normalised_message)
        selected = set(
            filters.selection_from_params({"group": key}).live.values_list("id", flat=True)
        )
        expected = {pk for pk, m in rows.items() if errors.normalise(m) == cause.normalised_message}
        assert selected == expected, message


def test_times__every_table_says_utc(viewer_client):
    """Timestamps without a zone are ambiguous for operators elsewhere: columns say (UTC)."""
    from app.dashboard import stats

    log = make_log(sf_message=LOCK)
    stats.refresh_stats()
    failures = viewer_client.get(reverse("dashboard:failures")).content.decode()
    assert "<th>Created (UTC)</th>" in failures
    assert "Since (UTC)" in failures
    assert "Until (UTC)" in failures
    groups = viewer_client.get(reverse("dashboard:groups")).content.decode()
    assert "<th>First seen (UTC)</th><th>Last seen (UTC)</th>" in groups
    detail = viewer_client.get(reverse("dashboard:detail", args=["live", log.id])).content.decode()
    assert "<th>Created (UTC)</th>" in detail


def test_describe__since_and_until_name_their_zone():
    """The selection text (confirmation pages, audit trail) names the zone of since/until."""
    form = filters.FailureFilterForm(
        {"since": "2026-11-25T08:00", "until": "2026-11-25T09:30", "source": "both"}
    )
    assert form.is_valid(), form.errors
    text = filters.selection(form).describe()
    assert "since 2026-11-25 08:00 UTC" in text
    assert "until 2026-11-25 09:30 UTC" in text


def test_table_filter__object_name_as_shown_on_the_pages_matches(viewer_client):
    """'Contact' (the object name the connection pages show) listed nothing: tables are lower
    case."""
    log = make_log(table_name="contact")
    response = viewer_client.get(reverse("dashboard:failures") + "?table=Contact")
    assert response.status_code == 200
    assert _ids(response) == [("live", log.id)]


def test_selection_checkboxes__disabled_for_viewers(viewer_client, client, operator):
    """Viewers got live checkboxes with no button to use them on; operators keep them."""
    make_log()
    viewer_html = viewer_client.get(reverse("dashboard:failures")).content.decode()
    assert re.search(r'name="ids" value="live:\d+"[^>]*disabled', viewer_html)
    assert "Retry selected" not in viewer_html
    client.force_login(operator)
    operator_html = client.get(reverse("dashboard:failures")).content.decode()
    assert re.search(r'name="ids" value="live:\d+"[^>]*>', operator_html)
    assert not re.search(r'name="ids" value="live:\d+"[^>]*disabled', operator_html)
