"""Real failures from the simulator's sync engine: classified, grouped and listed."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from app.dashboard import errors, stats
from app.dashboard.models import ErrorGroupStat
from heroku_connect.mapping import get_mapping
from heroku_connect.models import TriggerLog
from tests.app.dashboard.operators import make_operator

#: Validation rules fail with the rule's own text: no status code can be inferred from it.
UNINFERABLE = {"FIELD_CUSTOM_VALIDATION_EXCEPTION"}


def _simulator_code(log: TriggerLog) -> str | None:
    """The status code the simulated org used, kept in the mapped row's ``_hc_err``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT _hc_err FROM salesforce."{log.table_name}" WHERE id = %s', [log.record_id]
        )
        row = cursor.fetchone()
    if not row or not row[0]:
        return None
    return json.loads(row[0]).get("code")


@pytest.mark.simulator(ordered_writes=False, seed=7)
def test_simulated_failures__classified_grouped_and_listed(simulator, client, settings):
    """Every engine failure gets the simulator's status code; groups cover every FAILED row."""
    settings.DASHBOARD_PAGE_SIZE = 1000
    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    simulator.engine.activity.failure_rate = 1.0
    for _ in range(12):
        simulator.engine.activity_cycle()
    simulator.engine.write_cycle()
    failed = list(TriggerLog.objects.filter(state="FAILED"))
    assert len(failed) >= 5

    checked = set()
    for log in failed:
        expected = _simulator_code(log)
        if expected is None:
            continue
        inferred = errors.classify(log.sf_message).code
        if expected in UNINFERABLE:
            assert inferred == errors.UNKNOWN, log.sf_message
        else:
            assert inferred == expected, log.sf_message
        checked.add(expected)
    assert len(checked) >= 3  # several kinds of errors were produced and checked

    run = stats.refresh_stats()
    assert run.failed_rows == len(failed)
    client.force_login(make_operator("vera"))
    listed = 0
    for group in ErrorGroupStat.objects.all():
        response = client.get(reverse("dashboard:failures"), {"group": group.key})
        assert response.status_code == 200
        listed += len(response.context["page"].items)
    assert listed == len(failed)  # each failure in exactly one group's list
    response = client.get(reverse("dashboard:groups"))
    assert response.status_code == 200
    assert all(group.code in response.content.decode() for group in ErrorGroupStat.objects.all())
