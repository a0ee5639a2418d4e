"""Retries and ignores run from the Django admin's trigger-log pages land in the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.urls import reverse

from app.audit.models import AuditEntry
from tests.heroku_connect.trigger_log.factories import make_log, states


@pytest.mark.django_db
def test_admin_ignore__is_recorded_with_user_count_and_source(client):
    """The library's admin action sends a signal; the audit app records who ignored how many."""
    admin_user = User.objects.create_superuser("boss", password="pw")
    logs = [make_log(), make_log(), make_log(state="SUCCESS")]
    client.force_login(admin_user)
    client.post(
        reverse("admin:heroku_connect_triggerlog_changelist"),
        {
            "action": "ignore_failed_logs_action",
            ACTION_CHECKBOX_NAME: [log.pk for log in logs],
            "index": 0,
            "post": "yes",
        },
    )
    assert sorted(states().values()) == ["IGNORED", "IGNORED", "SUCCESS"]
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.row_count, entry.outcome) == (
        "boss",
        "ignore",
        2,
        "ok",
    )
    assert entry.target == "Trigger Logs (Django admin)"
    assert entry.selection == {"source": "admin", "model": "heroku_connect.TriggerLog"}
