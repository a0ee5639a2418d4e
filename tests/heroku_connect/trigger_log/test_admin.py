"""The trigger-log admin: names and labels, permissions, confirm-then-act, bounded counts."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heroku_connect import admin as hc_admin
from heroku_connect.admin import GenericLogModelAdmin, TriggerLogAdmin, TriggerLogPaginator
from heroku_connect.models import TriggerLog, TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log, states

LIVE_URL = "admin:heroku_connect_triggerlog_changelist"
ARCHIVE_URL = "admin:heroku_connect_triggerlogarchive_changelist"


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="heroku_connect", codename__in=codenames)
    )
    return user


@pytest.fixture
def viewer(db):
    return _staff("viewer", "view_triggerlog", "view_triggerlogarchive")


@pytest.fixture
def operator(db):
    return _staff(
        "operator",
        "view_triggerlog",
        "change_triggerlog",
        "view_triggerlogarchive",
        "change_triggerlogarchive",
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- names, attributes and labels --------------------------------------------------------------


def test_registration__both_models_with_trigger_log_admin():
    """Both models are registered with TriggerLogAdmin under the public URL names."""
    for model in (TriggerLog, TriggerLogArchive):
        assert type(admin.site._registry[model]) is TriggerLogAdmin
    assert reverse(LIVE_URL) == "/admin/heroku_connect/triggerlog/"
    assert reverse(ARCHIVE_URL) == "/admin/heroku_connect/triggerlogarchive/"
    assert issubclass(TriggerLogAdmin, GenericLogModelAdmin)


def test_generic_log_model_admin__attributes():
    """The public package's admin attributes, exactly."""
    model_admin = GenericLogModelAdmin
    assert model_admin.empty_value_display == "<NULL>"
    assert model_admin.field_overrides == {
        "action": "action_label",
        "state": "state_label",
        "record_id": "record_id_link",
        "table_name": "table_name_link",
    }
    assert model_admin.date_hierarchy == "created_at"
    assert model_admin.list_display == (
        "created_at",
        "action_label",
        "table_name_link",
        "record_id_link",
        "sf_message",
        "state_label",
    )
    assert model_admin.list_filter == ("action", "state", "table_name")
    assert (model_admin.list_per_page, model_admin.list_max_show_all) == (100, 200)
    assert model_admin.ordering == ("-id",)
    assert model_admin.search_fields == ("record_id", "sf_id", "sf_message")
    assert model_admin.readonly_fields == (
        "id",
        "txid",
        "created_at",
        "updated_at",
        "processed_at",
        "table_name_link",
        "record_id_link",
        "sf_id",
        "action_label",
        "state_label",
        "sf_message",
        "values",
        "old",
    )
    assert (model_admin.save_as, model_admin.save_on_top) == (True, True)
    for name, description, order in [
        ("action_label", "Action", "action"),
        ("state_label", "State", "state"),
        ("table_name_link", "Table name", "table_name"),
        ("record_id_link", "Record id", "record_id"),
    ]:
        method = getattr(model_admin, name)
        assert (method.short_description, method.admin_order_field) == (description, order)
        assert method.allow_tags is True
    assert model_admin.table_name_link.__name__ == "table_name_link"


def test_trigger_log_admin__actions_declare_change_permission():
    """Both actions keep their public names and descriptions and need the change permission."""
    assert TriggerLogAdmin.actions == ["ignore_failed_logs_action", "retry_failed_logs_action"]
    assert (TriggerLogAdmin.actions_on_top, TriggerLogAdmin.actions_on_bottom) == (True, True)
    ignore = TriggerLogAdmin.ignore_failed_logs_action
    retry = TriggerLogAdmin.retry_failed_logs_action
    assert ignore.short_description == 'Mark failed logs as "ignored"'
    assert retry.short_description == "Retry failed log actions"
    assert ignore.allowed_permissions == retry.allowed_permissions == ["change"]


def test_module_helpers():
    """_replaced maps aliases and drops empty names; route names and filter URLs."""
    assert hc_admin._replaced(["a", "b", "", "c"], b="x", c="") == ("a", "x")
    assert hc_admin._get_admin_route_name(TriggerLog) == "admin:heroku_connect_triggerlog"
    assert hc_admin._get_admin_route_name(TriggerLogArchive()) == (
        "admin:heroku_connect_triggerlogarchive"
    )
    assert hc_admin._build_admin_filter_url(TriggerLog, {"a": "b c", "d": 1}) == (
        "/admin/heroku_connect/triggerlog/?a=b+c&d=1"
    )


@pytest.mark.parametrize(
    ("state", "css"),
    [
        ("SUCCESS", "success"),
        ("FAILED", "danger label-important"),
        ("NEW", "primary label-inverse"),
        ("PENDING", "info"),
        ("REQUEUE", "warning"),
        ("REQUEUED", "warning"),
        ("MERGED", "default"),
        ("SOMETHING", "default"),
    ],
)
def test_state_label__valid_html_per_state(state, css):
    """state_label is a closed span (not </a>) with the state's CSS class."""
    model_admin = admin.site._registry[TriggerLog]
    html = model_admin.state_label(TriggerLog(state=state))
    assert html == f'<span class="label label-{css}">{state}</span>'


def test_labels_and_links__escape_values():
    """action_label and the links are built with escaping (no raw HTML from the database)."""
    model_admin = admin.site._registry[TriggerLog]
    log = TriggerLog(action="<b>", table_name="acc&<x>", record_id=5)
    assert model_admin.action_label(log) == '<span class="label label-default">&lt;b&gt;</span>'
    assert model_admin.table_name_link(log) == (
        '<a href="/admin/heroku_connect/triggerlog/?table_name=acc%26%3Cx%3E">acc&amp;&lt;x&gt;</a>'
    )
    archived = TriggerLogArchive(table_name="account", record_id=5)
    assert admin.site._registry[TriggerLogArchive].record_id_link(archived) == (
        '<a href="/admin/heroku_connect/triggerlogarchive/?record_id=5&amp;table_name=account">'
        "5</a>"
    )


# --- changelist and permissions ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIVE_URL, ARCHIVE_URL])
def test_changelist__viewer_sees_rows_but_no_actions(client, viewer, url):
    """View-only staff can list the rows but are offered no action."""
    model = TriggerLog if url == LIVE_URL else TriggerLogArchive
    make_log(model=model)
    client.force_login(viewer)
    response = client.get(reverse(url))
    assert response.status_code == 200
    content = response.content.decode()
    assert "retry_failed_logs_action" not in content
    assert "ignore_failed_logs_action" not in content
    assert '<span class="label label-danger label-important">FAILED</span>' in content


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["retry_failed_logs_action", "ignore_failed_logs_action"])
def test_actions__viewer_cannot_run_them(client, viewer, action):
    """A view-only user's action POST (even confirmed) changes nothing."""
    log = make_log()
    client.force_login(viewer)
    response = client.post(
        reverse(LIVE_URL),
        {"action": action, ACTION_CHECKBOX_NAME: [log.pk], "index": 0, "post": "yes"},
        follow=True,
    )
    assert response.status_code in (200, 403)
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_add_view__disabled(client, operator):
    """Trigger-log rows are never added by hand."""
    admin_user = User.objects.create_superuser("root", password="pw")
    client.force_login(admin_user)
    assert client.get(reverse("admin:heroku_connect_triggerlog_add")).status_code == 403


@pytest.mark.django_db
def test_change_view__renders_all_fields_read_only(client):
    """The change page renders (labels included) without errors."""
    log = make_log(values='"name"=>"x"')
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.get(reverse("admin:heroku_connect_triggerlog_change", args=[log.pk]))
    assert response.status_code == 200
    assert '<span class="label label-default">UPDATE</span>' in response.content.decode()
    # Each field once: the raw action/state were listed next to their labels.
    html = response.content.decode()
    assert html.count("<label>Action:</label>") == 1
    assert html.count("<label>State:</label>") == 1


# --- confirm-then-act --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TriggerLog, TriggerLogArchive])
def test_ignore_action__confirms_then_marks_failed_rows_ignored(client, operator, model):
    """First POST shows what will change; the confirmed POST acts and reports the count."""
    failed = [make_log(model=model) for _ in range(2)]
    done = make_log(model=model, state="SUCCESS")
    url = reverse(LIVE_URL if model is TriggerLog else ARCHIVE_URL)
    data = {
        "action": "ignore_failed_logs_action",
        ACTION_CHECKBOX_NAME: [log.pk for log in [*failed, done]],
        "index": 0,
    }
    client.force_login(operator)

    confirm = client.post(url, data)
    assert confirm.status_code == 200
    assert confirm.templates[0].name == "admin/heroku_connect/confirm_trigger_log_action.html"
    text = re.sub(r"\s+", " ", confirm.content.decode())
    assert "2 failed trigger logs will be marked as ignored:" in text
    assert "<td>account</td><td>UPDATE</td><td>2</td>" in text
    assert set(states(model).values()) == {"FAILED", "SUCCESS"}  # nothing yet

    response = client.post(url, {**data, "post": "yes"}, follow=True)
    assert _messages(response) == ["2 failed trigger logs marked as ignored."]
    assert states(model) == {failed[0].pk: "IGNORED", failed[1].pk: "IGNORED", done.pk: "SUCCESS"}


@pytest.mark.django_db
def test_ignore_action__singular_message_and_nothing_failed(client, operator):
    """One row: the public package's exact text; a selection without FAILED rows changes nothing."""
    log = make_log()
    client.force_login(operator)
    url = reverse(LIVE_URL)
    data = {"action": "ignore_failed_logs_action", ACTION_CHECKBOX_NAME: [log.pk], "index": 0}
    response = client.post(url, {**data, "post": "yes"}, follow=True)
    assert _messages(response) == ["1 failed trigger logs marked as ignored."]
    again = client.post(url, data, follow=True)
    assert _messages(again) == [
        "None of the selected trigger logs has failed; nothing was changed."
    ]


@pytest.mark.django_db
def test_ignore_action__select_across_uses_the_filtered_changelist(client, operator):
    """With "select all", the confirmed action applies to every row matching the filters."""
    contacts = [make_log(table_name="contact") for _ in range(3)]
    account = make_log(table_name="account")
    client.force_login(operator)
    url = reverse(LIVE_URL) + "?table_name=contact"
    data = {
        "action": "ignore_failed_logs_action",
        ACTION_CHECKBOX_NAME: [contacts[0].pk],
        "select_across": "1",
        "index": 0,
    }
    confirm = client.post(url, data)
    assert 'name="select_across" value="1"' in confirm.content.decode()
    response = client.post(url, {**data, "post": "yes"}, follow=True)
    assert _messages(response) == ["3 failed trigger logs marked as ignored."]
    assert states()[account.pk] == "FAILED"


@pytest.mark.django_db
def test_ignore_action__constant_statements_for_any_selection_size(client, operator):
    """The confirmed action costs the same number of statements for 10 and 200 rows."""
    client.force_login(operator)
    url = reverse(LIVE_URL)

    def run(n):
        ids = [make_log().pk for _ in range(n)]
        data = {
            "action": "ignore_failed_logs_action",
            ACTION_CHECKBOX_NAME: ids,
            "index": 0,
            "post": "yes",
        }
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, data)
        assert response.status_code == 302
        return len(captured.captured_queries)

    assert run(10) == run(200)


# --- no full-table COUNTs ----------------------------------------------------------------------


def _counts(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIVE_URL, ARCHIVE_URL])
@pytest.mark.parametrize("query", ["", "?state__exact=FAILED", "?q=FIELD", "?all="])
def test_changelist__never_counts_the_whole_table(client, operator, url, query):
    """Every COUNT the changelist runs is bounded by a LIMIT subquery."""
    model = TriggerLog if url == LIVE_URL else TriggerLogArchive
    for _ in range(3):
        make_log(model=model)
    client.force_login(operator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url) + query)
    assert response.status_code == 200
    counts = _counts(captured.captured_queries)
    assert counts  # the page still says how many rows there are
    for sql in counts:
        assert re.search(r"LIMIT \d+\) subquery", sql), sql


@pytest.mark.django_db
def test_paginator__counts_up_to_the_limit_then_estimates(monkeypatch):
    """Past count_limit an unfiltered list uses the table estimate, a filtered one the cap."""
    monkeypatch.setattr(TriggerLogPaginator, "count_limit", 3)
    for _ in range(5):
        make_log()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE salesforce._trigger_log")
    assert TriggerLogPaginator(TriggerLog.objects.all(), 2).count == 5
    assert TriggerLogPaginator(TriggerLog.objects.filter(state="FAILED"), 2).count == 4
    assert TriggerLogPaginator(TriggerLog.objects.filter(state="NEW"), 2).count == 0
    assert TriggerLogPaginator(list(range(7)), 2).count == 7


@pytest.mark.django_db
def test_ignore_failed_logs_helper__one_update_for_the_selection():
    """_ignore_failed_logs marks the FAILED rows of the selection IGNORED and counts them."""
    failed, new = make_log(), make_log(state="NEW")
    assert hc_admin._ignore_failed_logs(TriggerLog.objects.all()) == 1
    assert states() == {failed.pk: "IGNORED", new.pk: "NEW"}


@pytest.mark.django_db
def test_change_view__read_only_even_for_change_permitted_users(client, operator):
    """A form POST can never overwrite a row (Heroku Connect may have changed it meanwhile)."""
    log = make_log(state="PENDING", sf_message="original")
    client.force_login(operator)
    url = reverse("admin:heroku_connect_triggerlog_change", args=[log.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(url, {"state": "NEW", "sf_message": "edited", "_save": "Save"})
    assert response.status_code == 403
    log.refresh_from_db()
    assert (log.state, log.sf_message) == ("PENDING", "original")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "model", "url"),
    [
        ("ignore", TriggerLog, LIVE_URL),
        ("retry", TriggerLogArchive, ARCHIVE_URL),
    ],
)
def test_actions__send_trigger_logs_changed(client, operator, action, model, url):
    """After acting, the admin tells receivers (e.g. an audit trail) what it did; not before."""
    from heroku_connect.signals import trigger_logs_changed

    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append({"sender": sender, **kwargs})

    trigger_logs_changed.connect(receiver)
    try:
        logs = [make_log(model=model), make_log(model=model)]
        client.force_login(operator)
        data = {
            "action": f"{action}_failed_logs_action",
            ACTION_CHECKBOX_NAME: [log.pk for log in logs],
            "index": 0,
        }
        if action == "retry":
            TriggerLogAdmin.write_algorithm = hc_admin.WriteAlgorithm.MERGE_WRITES
        client.post(reverse(url), data)  # the confirmation page only
        assert received == []
        client.post(reverse(url), {**data, "post": "yes"})
    finally:
        trigger_logs_changed.disconnect(receiver)
        TriggerLogAdmin.write_algorithm = None
    [signal] = received
    assert signal["sender"] is model
    assert (signal["action"], signal["count"], signal["outcome"]) == (action, 2, "ok")
    assert signal["request"].user == operator
