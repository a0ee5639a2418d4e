"""Races on the real web process (gunicorn, two workers with threads): operators confirming
actions on the same failed writes at the same moment. Every row changes exactly once.

Operators go through the confirmation page and post its form, as a browser would, so the suite
follows the form whatever fields it carries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from app.audit.models import AuditEntry
from heroku_connect import schema as ddl
from heroku_connect.conf import settings as hc_settings
from heroku_connect.models import TriggerLog
from tests.reliability.operators import Operator

pytestmark = [pytest.mark.slow, pytest.mark.simulator(ordered_writes=False)]

ROWS = 3000
PASSWORD = "reliability-pw-1"
MESSAGE = "FIELD_CUSTOM_VALIDATION_EXCEPTION: Amount must be positive"
OPERATOR_PERMISSIONS = ("view_dashboard", "retry_writes", "ignore_writes")


def seed_failed(rows: int) -> None:
    """``rows`` FAILED updates of ``account`` in the live trigger log (one statement)."""
    table = ddl.qualified(hc_settings.HEROKU_CONNECT_SCHEMA, ddl.TRIGGER_LOG_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} (txid, state, action, table_name, record_id, "values", '
            "sf_message) SELECT 1, 'FAILED', 'UPDATE', 'account', g, '\"name\"=>\"x\"', %s "
            "FROM generate_series(1, %s) AS g",
            [MESSAGE, rows],
        )


def make_operator(username: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="dashboard", codename__in=OPERATOR_PERMISSIONS
        )
    )
    return user


def states() -> dict[str, int]:
    return dict(TriggerLog.objects.values_list("state").annotate(n=Count("id")).order_by())


def audited(action: str) -> list[int]:
    return list(AuditEntry.objects.filter(action=action).values_list("row_count", flat=True))


def confirmed(operator: Operator, action: str) -> Callable[[], requests.Response]:
    """Open the confirmation page of ``action`` for the account table's failures now; the
    returned call posts its form (later, at the same moment as the other operator)."""
    page = operator.get(reverse(f"dashboard:{action}_confirm"), table="account", source="live")
    assert f"{ROWS:,}" in page.text, page.text[:2000]
    url, data = operator.form(page, form_id="confirm-form")
    return lambda: operator.post(url, data)


def admin_ignore_confirmed(admin: Operator) -> Callable[[], requests.Response]:
    """The Django admin's "ignore" action on every trigger-log row, up to its confirmation."""
    changelist = reverse("admin:heroku_connect_triggerlog_changelist")
    admin.get(changelist)
    first_id = str(TriggerLog.objects.order_by("id").values_list("id", flat=True)[0])
    page = admin.session.post(
        f"{admin.base_url}{changelist}",
        data={
            "csrfmiddlewaretoken": admin.csrf_token,
            "action": "ignore_failed_logs_action",
            "select_across": "1",
            "index": "0",
            "_selected_action": first_id,
        },
        timeout=60,
    )
    assert f"{ROWS:,}" in page.text or str(ROWS) in page.text, page.text[:2000]
    url, data = admin.form(page, field="post")
    return lambda: admin.post(url, data)


def at_once(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls in threads released together; every answer must be a page, not a 500."""
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | BaseException] = [None] * len(calls)  # type: ignore[list-item]

    def run(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = calls[index]()
        except BaseException as error:  # re-raised below
            answers[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
        assert answer.status_code < 500, answer.text[:2000]
    return answers  # type: ignore[return-value]


@pytest.fixture
def web(stack) -> str:
    seed_failed(ROWS)
    _process, url = stack.web()
    return url


def test_race__two_operators_retry_the_same_group_once(web):
    """Both confirmed the retry of the same 3,000 failures; each write is retried once."""
    make_operator("alice")
    make_operator("bob")
    alice, bob = Operator(web, "alice", PASSWORD), Operator(web, "bob", PASSWORD)
    at_once(confirmed(alice, "retry"), confirmed(bob, "retry"))
    assert states() == {"NEW": ROWS}  # merged writes: FAILED -> NEW, no duplicate row
    assert sum(audited("retry")) == ROWS  # one of them retried all, the other none


def test_race__retry_against_ignore_each_row_once(web):
    """One operator retries while another ignores the same failures: every write ends either
    retried or ignored, never both, and the audit trail adds up to the rows."""
    make_operator("alice")
    make_operator("bob")
    alice, bob = Operator(web, "alice", PASSWORD), Operator(web, "bob", PASSWORD)
    at_once(confirmed(alice, "retry"), confirmed(bob, "ignore"))
    after = states()
    assert set(after) <= {"NEW", "IGNORED"}
    assert sum(after.values()) == ROWS
    assert sum(audited("retry")) == after.get("NEW", 0)
    assert sum(audited("ignore")) == after.get("IGNORED", 0)


def test_race__django_admin_against_the_dashboard_each_row_once(web):
    """The Django admin's "ignore" (select all) and a dashboard retry, confirmed at once:
    every write changes once, and both are in the audit trail with their counts."""
    make_operator("alice")
    User.objects.create_superuser("root", password=PASSWORD)
    alice, root = Operator(web, "alice", PASSWORD), Operator(web, "root", PASSWORD)
    at_once(confirmed(alice, "retry"), admin_ignore_confirmed(root))
    after = states()
    assert set(after) <= {"NEW", "IGNORED"}
    assert sum(after.values()) == ROWS
    assert sum(audited("retry")) == after.get("NEW", 0)
    admin_entries = AuditEntry.objects.exclude(action__in=("retry", "auth.login"))
    assert sum(admin_entries.values_list("row_count", flat=True)) == after.get("IGNORED", 0)
