"""Bounded web requests: the web process's statement_timeout and the page when it trips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse

from app.audit.models import AuditEntry
from app.core.db import is_statement_timeout, set_statement_timeout
from app.settings.environment import web_statement_timeout_ms
from heroku_connect.models import TriggerLog
from tests.app.dashboard.confirming import confirm
from tests.heroku_connect.trigger_log.factories import make_log
from tests.url_catalog import ALL_PERMISSIONS, make_user

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 25_000), ("", 25_000), ("10", 10_000), ("0.5", 500), ("0", 0)]
)
def test_web_statement_timeout_ms__parses_seconds(raw, expected):
    """Seconds (decimals allowed) become milliseconds; unset is 25 s; 0 turns it off."""
    environ = {} if raw is None else {"WEB_STATEMENT_TIMEOUT": raw}
    assert web_statement_timeout_ms(environ) == expected


@pytest.mark.parametrize("raw", ["-1", "soon", "nan", "1e9"])
def test_web_statement_timeout_ms__garbage_is_a_clear_error(raw):
    with pytest.raises(ImproperlyConfigured, match="WEB_STATEMENT_TIMEOUT"):
        web_statement_timeout_ms({"WEB_STATEMENT_TIMEOUT": raw})


_SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
)


def _statement_timeout_in(setup: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.test",
        "WEB_STATEMENT_TIMEOUT": "7",
    }
    result = subprocess.run(
        [sys.executable, "-c", setup + _SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_statement_timeout__only_in_the_web_process():
    """The WSGI module (gunicorn, runserver) limits its connections; a Celery worker or beat
    process (the Celery app, no WSGI) does not."""
    assert _statement_timeout_in("import app.wsgi\n") == "7s"
    worker = "import django\nfrom app.celery import app\ndjango.setup()\n"
    assert _statement_timeout_in(worker) == "0"


@pytest.mark.django_db
def test_is_statement_timeout__recognises_a_cancelled_statement():
    """A real cancellation is recognised through Django's wrapper; other errors are not."""
    set_statement_timeout(connection, 50)
    try:
        with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
            c.execute("SELECT pg_sleep(2)")
        assert is_statement_timeout(caught.value)
        with pytest.raises(DatabaseError) as other, transaction.atomic(), connection.cursor() as c:
            c.execute("SELECT 1/0")
        assert not is_statement_timeout(other.value)
    finally:
        set_statement_timeout(connection, 0)
    assert not is_statement_timeout(ValueError("x"))


@pytest.mark.django_db(transaction=True)
def test_statement_timeout__an_ignore_that_waits_too_long_is_a_503_and_changes_nothing(
    client, settings
):
    """Another session holds the row lock: the ignore's statement is cancelled by the timeout,
    the operator gets the 503 page (not a 500), the row is still FAILED, the attempt is audited."""
    settings.WEB_STATEMENT_TIMEOUT_MS = 300
    log = make_log()
    client.force_login(make_user("oona", ALL_PERMISSIONS))
    token = confirm(client, "ignore", {"ids": f"live:{log.pk}"})
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM salesforce._trigger_log WHERE id = %s FOR UPDATE", [log.pk]
                )
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert locked.wait(10)
    set_statement_timeout(connection, settings.WEB_STATEMENT_TIMEOUT_MS)
    try:
        response = client.post(reverse("dashboard:ignore"), {"confirmation": token})
    finally:
        set_statement_timeout(connection, 0)
        release.set()
        holder.join(10)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "The database took too long" in html
    assert "more than 0.3 seconds" in html
    assert "Server error" not in html
    assert TriggerLog.objects.get(pk=log.pk).state == "FAILED"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == ("ignore", "error")
    assert "statement timeout" in entry.detail
    assert json.dumps(entry.selection)  # the selection is recorded with the failure
