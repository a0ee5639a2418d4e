"""End to end with the Heroku Connect simulator: its sync engine fails writes with
UNABLE_TO_LOCK_ROW; the dashboard (or auto-retry) retries them with the write algorithm read
from the simulator's API; the next write pass sends them to the simulated Salesforce."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from app.audit.models import AuditEntry, AutoRetryPolicy
from app.dashboard import autoretry, errors
from app.salesforce.models import Account
from heroku_connect.mapping import get_mapping
from heroku_connect.models import TriggerLog
from tests.app.dashboard.confirming import confirmation_token
from tests.app.dashboard.operators import make_operator

ORDERINGS = [
    pytest.param(False, marks=pytest.mark.simulator(ordered_writes=False), id="merged"),
    pytest.param(True, marks=pytest.mark.simulator(ordered_writes=True), id="ordered"),
]


def _locked_failures(sim, count: int) -> list[Account]:
    """``count`` new accounts whose first write to Salesforce fails with a row lock."""
    sim.import_mapping(get_mapping())
    sim.wait_idle()
    accounts = [Account.objects.create(name=f"Locked {n}") for n in range(count)]
    sim.engine.transient_failure_rate = 1.0
    sim.engine.write_cycle()
    sim.engine.transient_failure_rate = 0.0
    return accounts


def _logs(accounts: list[Account]) -> list[TriggerLog]:
    return list(
        TriggerLog.objects.filter(
            table_name="account", record_id__in=[a.pk for a in accounts]
        ).order_by("id")
    )


@pytest.mark.parametrize("ordered", ORDERINGS)
def test_dashboard_retry__of_simulated_lock_failures_gets_them_written(simulator, client, ordered):
    """FAILED by the engine -> retried as a group from the dashboard -> SUCCESS next pass."""
    accounts = _locked_failures(simulator, 3)
    failed = _logs(accounts)
    assert {log.state for log in failed} == {"FAILED"}
    cause = errors.classify(failed[0].sf_message)
    assert cause.code == "UNABLE_TO_LOCK_ROW"
    client.force_login(make_operator("olivia"))
    group = errors.group_key("account", cause.code, cause.normalised_message)

    confirm = client.get(reverse("dashboard:retry_confirm"), {"group": group})
    algorithm = "ordered writes" if ordered else "merged writes"
    assert algorithm in confirm.content.decode()
    response = client.post(
        reverse("dashboard:retry"), {"confirmation": confirmation_token(confirm)}
    )

    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == f"Retried 3 failed writes (live: 3, archived: 0) with {algorithm}."
    simulator.engine.write_cycle()
    for account in accounts:
        account.refresh_from_db()
        assert account.sf_id  # written to the simulated org, sfid written back
    states = [log.state for log in _logs(accounts)]
    if ordered:  # the failed rows REQUEUED, their re-captured copies written
        assert sorted(states) == ["REQUEUED"] * 3 + ["SUCCESS"] * 3
    else:
        assert states == ["SUCCESS"] * 3
    assert AuditEntry.objects.get(action="retry").row_count == 3


@pytest.mark.simulator(ordered_writes=False)
def test_autoretry__of_simulated_lock_failures_gets_them_written(simulator):
    """The beat service retries the engine's lock failures; the next pass writes them."""
    accounts = _locked_failures(simulator, 2)
    policy = AutoRetryPolicy.current()
    policy.enabled = True
    policy.save()

    run = autoretry.run_autoretry()

    assert (run.live, run.archive) == (2, 0)
    simulator.engine.write_cycle()
    assert [log.state for log in _logs(accounts)] == ["SUCCESS", "SUCCESS"]
    entry = AuditEntry.objects.get(action="autoretry")
    assert (entry.username, entry.row_count) == ("system", 2)
