"""``manage.py triage_report``: the overview and groups on the command line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heroku_connect.models import TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_log

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("triage_report", *args, stdout=out)
    return out.getvalue()


def test_triage_report__text_after_refresh():
    """Counts per table and the groups, largest first."""
    make_log(table_name="contact", sf_message="entity is deleted")
    make_log(model=TriggerLogArchive, table_name="contact", sf_message="entity is deleted")
    make_log(table_name="account", state="NEW")
    assert "not computed yet" in _run()
    text = _run("--refresh")
    assert "failed 1 live + 1 archived, pending 0, new 1" in text
    assert "        2 contact ENTITY_IS_DELETED: entity is deleted" in text


def test_triage_report__json_like_the_api():
    """--json prints the totals and the groups as the JSON endpoint does."""
    make_log(table_name="contact", sf_message="Email: invalid email address: a@@b")
    data = json.loads(_run("--refresh", "--json", "--table", "contact"))
    assert data["totals"]["failed"] == 1
    (group,) = data["groups"]
    assert group["code"] == "INVALID_EMAIL_ADDRESS"
    assert group["failures_url"].startswith("/failures/?group=")


@pytest.mark.parametrize("args", [("--table", "a;b"), ("--limit", "0")])
def test_triage_report__bad_input_is_a_command_error(args):
    """Bad options give a CommandError, not a traceback."""
    with pytest.raises(CommandError):
        _run(*args)
