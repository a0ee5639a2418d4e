"""A simulator restarted on a database that an earlier run wrote to (``make demo`` twice)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from app.salesforce.models import Contact
from heroku_connect.mapping import get_mapping
from heroku_connect.simulator import Simulator
from heroku_connect.test.simulator import dsn_from_settings_dict


def _trigger_log(dsn: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT state, sf_message FROM salesforce._trigger_log ORDER BY id"
        ).fetchall()


@pytest.mark.django_db(transaction=True)
def test_restart__records_of_the_earlier_run_stay_updatable_and_new_ids_do_not_collide():
    """After a restart with the same seed, inserting and updating rows written by the first run
    succeed (no DUPLICATE_VALUE on Id, no "entity is deleted")."""
    dsn = dsn_from_settings_dict(connection.settings_dict)
    with Simulator(dsn, initial_mapping=get_mapping(), seed=3) as first:
        first.wait_idle()
        earlier = Contact.objects.create(last_name="From the first run")
        assert first.engine.write_cycle()
    earlier.refresh_from_db()
    assert earlier.sf_id

    with Simulator(dsn, initial_mapping=get_mapping(), seed=3) as second:
        second.wait_idle()
        assert second.org.get("Contact", earlier.sf_id) is not None  # adopted from the table
        Contact.objects.filter(pk=earlier.pk).update(first_name="Updated")
        newer = Contact.objects.create(last_name="From the second run")
        second.engine.write_cycle()
    newer.refresh_from_db()
    assert newer.sf_id
    assert newer.sf_id != earlier.sf_id
    assert [state for state, _ in _trigger_log(dsn)].count("FAILED") == 0, _trigger_log(dsn)
