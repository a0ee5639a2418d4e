"""Two database sessions acting on the same rows at once (tests of concurrency safety)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connections, transaction

T = TypeVar("T")


def _wait_for_lock_waiter(timeout: float) -> None:
    """Block until another backend of this database waits on a row lock."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second session never waited for the first one's row locks")


def second_waits_for_first(
    first: Callable[[], T], second: Callable[[], T], *, timeout: float = 10.0
) -> tuple[T, T]:
    """Run ``first`` in a transaction kept open until ``second`` (another thread, so another
    connection) blocks on its row locks; then commit it and let ``second`` finish.

    Returns both results; an exception in either thread is re-raised here.
    """
    results: dict[str, T] = {}
    errors: list[BaseException] = []
    first_done = threading.Event()
    release_first = threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                first_done.set()
                assert release_first.wait(timeout)
        except BaseException as error:  # re-raised by the calling thread
            errors.append(error)
            first_done.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            results["second"] = second()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert first_done.wait(timeout)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        if not errors:
            _wait_for_lock_waiter(timeout)
    finally:
        release_first.set()
        one.join(2 * timeout)
        two.join(2 * timeout)
    if errors:
        raise errors[0]
    return results["first"], results["second"]
