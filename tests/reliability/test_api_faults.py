"""The Heroku Connect API failing (500), hanging or slow while a real worker refreshes the
connection status: nothing stored is lost, the worker is never stuck, and the next refresh after
the fault recovers."""

from __future__ import annotations

import time

import pytest
from django.db.models import Max

from app.connections.models import Connection, RefreshRun
from heroku_connect.mapping import get_mapping
from heroku_connect.simulator.control import ControlClient
from tests.reliability.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.simulator(import_seconds=0)]

#: Generous upper bound for one refresh to end (the stack's API timeout is 2 s per call).
REFRESH_LIMIT = 30


def refreshed(stack) -> RefreshRun:
    """Run the beat task once on the worker and return its RefreshRun (the first one after
    those that exist now: the worker's start-up refresh has ended when ``stack.worker()``
    returns)."""
    after = RefreshRun.objects.aggregate(last=Max("pk"))["last"] or 0
    stack.send("connections.refresh_status")
    return wait_until(
        lambda: RefreshRun.objects.filter(pk__gt=after).first(),
        timeout=REFRESH_LIMIT,
        what="the refresh task ended",
    )


def snapshot() -> list[tuple[str, str, str]]:
    return sorted(
        (m.connection.connection_id, m.object_name, m.state)
        for m in Connection.objects.get().mappings.select_related("connection")
    )


@pytest.fixture
def refreshed_once(simulator, stack):
    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    stack.worker()
    first = refreshed(stack)
    assert first.ok, first.error_message
    return first


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"status": 500}, "server_error"),
        ({"status": 503}, "server_error"),  # retried by the client, then given up
        ({"timeout": True, "timeout_seconds": 30}, "unreachable"),  # hangs past the timeout
    ],
    ids=["500", "503", "hang"],
)
def test_api_fault__refresh_fails_cleanly_then_recovers(
    simulator, stack, refreshed_once, fault, kind
):
    """During the fault the refresh records its failure and keeps what was stored; once the
    API answers again, the next refresh succeeds. The worker is free all along."""
    before = snapshot()
    control = ControlClient(simulator.base_url)
    control.set_faults(**fault)
    started = time.monotonic()
    failed = refreshed(stack)
    took = time.monotonic() - started
    assert not failed.ok
    assert failed.error_kind == kind, failed.error_message
    assert simulator.token not in failed.error_message
    assert snapshot() == before  # nothing lost or half-replaced
    control.clear_faults()
    cleared = time.monotonic()
    run = refreshed(stack)
    recovery = time.monotonic() - cleared
    print(f"\nAPI fault {kind}: failed refresh took {took:.1f} s; recovered {recovery:.1f} s after")
    assert run.ok, run.error_message
    assert took < REFRESH_LIMIT
    assert recovery < REFRESH_LIMIT


def test_api_slow__refresh_still_completes(simulator, stack, refreshed_once):
    """An API answering slowly (1 s per call, under the timeout) slows the refresh down but
    it completes and stores the new state."""
    control = ControlClient(simulator.base_url)
    control.set_connection_state("PAUSED")
    control.set_faults(latency=1.0)
    started = time.monotonic()
    run = refreshed(stack)
    took = time.monotonic() - started
    print(f"\nslow API: refresh took {took:.1f} s")
    assert run.ok, run.error_message
    assert run.api_calls == 4  # list, deep connection, notifications, export
    assert Connection.objects.get().state == "PAUSED"
    assert took >= 4.0
